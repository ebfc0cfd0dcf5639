import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// The catalyst simulator, run as a user (or cbuild) runs catalyst: a real
/// storedir, real seed and snapshot files, the built `catalyst-sim` binary.
/// Each expectation names the catalyst rule it pins down.
@Suite("catalyst-sim follows catalyst's rules")
struct CatalystSimulatorTests {
    // MARK: helpers

    /// A fixture with conf, snapshot and seed in place.
    private func prepared(_ flavor: Int, options: [String] = ["pkgcache", "kerncache"],
                          compression: String = "pixz") throws -> CatalystSimFixture {
        let f = try CatalystSimFixture(flavor: flavor)
        try f.writeConf(options: options, compression: compression)
        try f.writeSnapshot()
        try f.writeSeed()
        return f
    }

    private func tool(_ argv: [String]) throws -> String {
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        env["LC_ALL"] = "C"
        let r = try SystemProcessRunner().run(argv, environment: env, currentDirectory: nil, input: nil)
        #expect(r.succeeded, "\(argv.joined(separator: " ")): \(r.stderrString)")
        return r.stdoutString
    }

    /// `<hex>` from a coreutils `b2sum`/`sha512sum`/`sha256sum` line.
    private func coreutilsHash(_ name: String, _ file: String) throws -> String {
        String(try tool([name, file]).split(separator: " ")[0])
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The spec as the simulator's parser reads it (CATALYST_SIM_PARSE_ONLY).
    private func parse(_ spec: String, in f: CatalystSimFixture) throws -> (status: Int32, values: [String: Any], run: CatalystSimFixture.Run) {
        let path = try f.writeSpec(spec, name: "parse-\(UUID().uuidString).spec")
        let run = try f.runRaw(["-f", path], environment: ["CATALYST_SIM_PARSE_ONLY": "1"])
        guard run.status == 0 else { return (run.status, [:], run) }
        let line = try #require(run.stdout.split(separator: "\n").last)
        let doc = try json(String(line))
        return (run.status, try #require(doc["values"] as? [String: Any]), run)
    }

    // MARK: a stage4 build

    @Test("a stage4 from a seed and a snapshot records what it consumed", arguments: [3, 4])
    func stage4Provenance(flavor: Int) throws {
        let f = try prepared(flavor)
        defer { f.remove() }
        try f.directory.write("confdir/package.use/hello", "app-misc/hello foo\n")
        try f.directory.write("overlay/etc/motd", "welcome\n")
        try f.directory.write("finish.sh", "#!/bin/sh\necho done\n")
        let spec = try f.writeSpec(f.stage4Spec(packages: ["app-misc/hello", "dev-lang/python:3.12"], extra: """
            portage_confdir: \(f.root)/confdir
            stage4/root_overlay: \(f.root)/overlay
            stage4/fsscript: \(f.root)/finish.sh
            stage4/rcadd: sshd|default
            """))
        let run = try f.run(spec: spec)
        #expect(run.status == 0, "\(run.output)")

        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("catalyst-sim: SIMULATOR of catalyst \(flavor).x") == true)
        #expect(lines.contains(">>> Emerging (1 of 2) app-misc/hello-1.0::gentoo"))
        #expect(lines.contains(">>> Installing (2 of 2) dev-lang/python-1.0::gentoo"))
        #expect(lines.contains(">>> Completed (2 of 2) dev-lang/python-1.0::gentoo"))
        let notice = try Regex(#"^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \S+: NOTICE  : --- Running action sequence: unpack$"#)
        #expect(lines.contains { $0.wholeMatch(of: notice) != nil })
        #expect(lines.contains { $0.hasSuffix("NOTICE  : --- Running action sequence: build_packages") })

        let tarball = f.outputPath()
        let members = try CatalystSimFixture.listMembers(tarball)
        for m in ["./etc/motd", "./etc/hostname", "./etc/os-release", "./etc/portage/package.use/hello",
                  "./var/db/pkg/app-misc/hello-1.0/", "./var/db/pkg/sys-apps/baselayout-2.17/", "./etc/runlevels/default/sshd"] {
            #expect(members.contains(m), "missing \(m)")
        }
        #expect(try CatalystSimFixture.readMember(tarball, "./var/db/pkg/dev-lang/python-1.0/SLOT") == "3.12\n")
        #expect(try CatalystSimFixture.readMember(tarball, "./etc/os-release").contains("SIMULATED"))

        let p = try json(try CatalystSimFixture.readMember(tarball, "./etc/catalyst-sim/provenance.json"))
        let spec2 = try #require(p["spec"] as? [String: Any])
        #expect(spec2["stage4/packages"] as? [String] == ["app-misc/hello", "dev-lang/python:3.12"])
        #expect(spec2["subarch"] as? String == "amd64")
        let seed = try #require(p["seed"] as? [String: Any])
        #expect(seed["sha256"] as? String == (try coreutilsHash("sha256sum", f.storedir + "/builds/seeds/stage3-amd64-openrc-20261124T170000Z.tar.xz")))
        let snapshotFile = flavor == 4 ? "gentoo-20261124.xz.sqfs" : "portage-20261124.tar.xz"
        let snapshot = try #require(p["snapshot"] as? [String: Any])
        #expect(snapshot["path"] as? String == "snapshots/" + snapshotFile)
        #expect(snapshot["sha256"] as? String == (try coreutilsHash("sha256sum", f.storedir + "/snapshots/" + snapshotFile)))
        let confdir = try #require(p["portage_confdir"] as? [String: Any])
        #expect((confdir["files"] as? [String: String])?["package.use/hello"] == (try coreutilsHash("sha256sum", f.root + "/confdir/package.use/hello")))
        let overlays = try #require(p["root_overlay"] as? [[String: Any]])
        #expect((overlays.first?["files"] as? [String: String])?["etc/motd"] == (try coreutilsHash("sha256sum", f.root + "/overlay/etc/motd")))
        let fsscript = try #require(p["fsscript"] as? [String: Any])
        #expect(fsscript["sha256"] as? String == (try coreutilsHash("sha256sum", f.root + "/finish.sh")))
        #expect(p["packages"] as? [String] == ["app-misc/hello", "dev-lang/python:3.12"])

        // Without seedcache/keepwork catalyst removes the chroot after success.
        #expect(!FileManager.default.fileExists(atPath: f.chrootPath()))
    }

    @Test("DIGESTS, .sha256 and CONTENTS.gz match coreutils and tar", arguments: [3, 4])
    func digests(flavor: Int) throws {
        let f = try prepared(flavor)
        defer { f.remove() }
        let run = try f.run(spec: try f.writeSpec(f.stage4Spec()))
        #expect(run.status == 0, "\(run.output)")
        let tarball = f.outputPath()
        let contents = tarball + ".CONTENTS.gz"
        var expected = ""
        for file in [tarball, contents] {
            let base = (file as NSString).lastPathComponent
            if flavor == 4 {
                expected += "# BLAKE2B HASH\n\(try coreutilsHash("b2sum", file))  \(base)\n"
            } else {
                // catalyst 3 pastes b2sum's own line, with the full path.
                expected += "# BLAKE2 (b2sum) HASH\n\(try coreutilsHash("b2sum", file))  \(file)\n"
            }
            expected += "# SHA512 HASH\n\(try coreutilsHash("sha512sum", file))  \(base)\n"
        }
        #expect(try String(contentsOfFile: tarball + ".DIGESTS", encoding: .utf8) == expected)
        #expect(try String(contentsOfFile: tarball + ".sha256", encoding: .utf8)
                == "# SHA256 HASH\n\(try coreutilsHash("sha256sum", tarball))  \((tarball as NSString).lastPathComponent)\n")
        #expect(try tool(["gzip", "-dc", contents]) == (try tool(["tar", "--xattrs", "-tvf", tarball])))
    }

    @Test("identical inputs give byte-identical outputs unless the nonreproducible knob is set")
    func reproducible() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let spec = try f.writeSpec(f.stage4Spec(packages: ["app-misc/hello", "app-editors/vim"]))
        let tarball = f.outputPath()
        #expect(try f.run(spec: spec).status == 0)
        let first = try [tarball, tarball + ".CONTENTS.gz"].map { try coreutilsHash("sha256sum", $0) }
        let second = try f.run(spec: spec)
        #expect(second.status == 0)
        // The package cache now holds the packages: emerge says so, the stage is unchanged.
        #expect(second.stdout.contains(">>> Emerging binary (1 of 2) app-misc/hello-1.0::gentoo"))
        #expect(try [tarball, tarball + ".CONTENTS.gz"].map { try coreutilsHash("sha256sum", $0) } == first)
        #expect(try f.run(spec: spec, environment: ["CATALYST_SIM_NONREPRODUCIBLE": "1"]).status == 0)
        #expect(try coreutilsHash("sha256sum", tarball) != first[0])
    }

    @Test("the payload knob adds n MiB of incompressible, reproducible bytes in a .tar.xz that xz and tar accept")
    func payload() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let spec = try f.writeSpec(f.stage4Spec())
        let tarball = f.outputPath()
        let knob = ["CATALYST_SIM_PAYLOAD_MB": "3"]
        let run = try f.run(spec: spec, environment: knob)
        #expect(run.status == 0, "\(run.output)")
        _ = try tool(["xz", "-t", tarball])
        let extracted = f.root + "/extracted"
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        _ = try tool(["tar", "-xJf", tarball, "-C", extracted])
        let payload = extracted + "/usr/share/catalyst-sim/payload.bin"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: payload)[.size] as? Int)
        #expect(size == 3 << 20)
        #expect(try CatalystSimFixture.readMember(tarball, "./etc/os-release").contains("SIMULATED"))
        // Stored, not compressed: the tarball is the payload plus a little;
        // and the payload really is incompressible.
        let stored = try #require(try FileManager.default.attributesOfItem(atPath: tarball)[.size] as? Int)
        #expect(stored > size && stored < size + (1 << 20), "\(stored) bytes")
        let gzipped = try tool(["sh", "-c", "gzip -1 -c '\(payload)' | wc -c"])
        #expect((Int(gzipped.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > size)
        #expect(try tool(["zcat", tarball + ".CONTENTS.gz"]).contains("./usr/share/catalyst-sim/payload.bin"))
        #expect(try String(contentsOfFile: tarball + ".sha256", encoding: .utf8).contains(try coreutilsHash("sha256sum", tarball)))

        let first = try coreutilsHash("sha256sum", tarball)
        #expect(try f.run(spec: spec, environment: knob).status == 0)
        #expect(try coreutilsHash("sha256sum", tarball) == first, "the same build gives the same bytes")
        #expect(try f.run(spec: spec).status == 0)
        #expect(!(try CatalystSimFixture.listMembers(tarball)).contains("./usr/share/catalyst-sim/payload.bin"))
    }

    // MARK: finding inputs

    @Test("a missing snapshot fails the build (exit 2) where catalyst looks for it", arguments: [3, 4])
    func missingSnapshot(flavor: Int) throws {
        let f = try CatalystSimFixture(flavor: flavor)
        defer { f.remove() }
        try f.writeConf()
        try f.writeSeed()
        let run = try f.run(spec: try f.writeSpec(f.stage4Spec()))
        #expect(run.status == 2)
        if flavor == 4 {
            #expect(run.stdout.contains("ERROR   : CatalystError: Couldn't mount: \(f.storedir)/snapshots/gentoo-20261124.xz.sqfs"))
        } else {
            #expect(run.stdout.contains("ERROR   : CatalystError: File Not Found: \(f.storedir)/snapshots/portage-20261124"))
        }
        #expect(!FileManager.default.fileExists(atPath: f.outputPath()))
    }

    @Test("a missing seed fails the build (exit 2) naming builds/<source_subpath>", arguments: [3, 4])
    func missingSeed(flavor: Int) throws {
        let f = try CatalystSimFixture(flavor: flavor)
        defer { f.remove() }
        try f.writeConf()
        try f.writeSnapshot()
        let run = try f.run(spec: try f.writeSpec(f.stage4Spec()))
        #expect(run.status == 2)
        #expect(run.stdout.contains("File Not Found: \(f.storedir)/builds/seeds/stage3-amd64-openrc-20261124T170000Z"))
    }

    @Test("a seed with its .asc beside it is ambiguous without an extension, found with one")
    func ambiguousSeed() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let seed = f.storedir + "/builds/seeds/stage3-amd64-openrc-20261124T170000Z.tar.xz"
        try "signature\n".write(toFile: seed + ".asc", atomically: true, encoding: .utf8)
        try "# digests\n".write(toFile: seed + ".DIGESTS", atomically: true, encoding: .utf8)
        let ambiguous = try f.run(spec: try f.writeSpec(f.stage4Spec()))
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stdout.contains("Ambiguous Filename: \(f.storedir)/builds/seeds/stage3-amd64-openrc-20261124T170000Z"))
        let exact = try f.run(spec: try f.writeSpec(f.stage4Spec(sourceSubpath: "seeds/stage3-amd64-openrc-20261124T170000Z.tar.xz"), name: "exact.spec"))
        #expect(exact.status == 0, "\(exact.output)")
    }

    @Test("distdir must exist")
    func distdirMustExist() throws {
        let f = try prepared(4)
        defer { f.remove() }
        try FileManager.default.removeItem(atPath: f.distdir)
        let run = try f.run(spec: try f.writeSpec(f.stage4Spec()))
        #expect(run.status == 2)
        #expect(run.stdout.contains("Cannot locate specified distdir: \(f.distdir)"))
    }

    // MARK: configuration errors

    @Test("unknown or missing spec keys are rejected by the target's constructor: a failed build, exit 2")
    func specKeyErrors() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let unknown = try f.run(spec: try f.writeSpec(f.stage4Spec(extra: "stage4/bogus: yes\nportage_overlay: /x")))
        #expect(unknown.status == 2)
        #expect(unknown.stdout.contains("ERROR   : CatalystError: Argument \"stage4/bogus\" not recognized."))
        // portage_overlay is catalyst 3's key; catalyst 4 renamed it to repos.
        #expect(unknown.stdout.contains("ERROR   : \tAlso: Argument \"portage_overlay\" not recognized."))
        let missing = try f.run(spec: try f.writeSpec(f.stage4Spec().replacingOccurrences(of: "profile: default/linux/amd64/23.0\n", with: ""), name: "missing.spec"))
        #expect(missing.status == 2)
        #expect(missing.stdout.contains("Required argument \"profile\" not specified."))
        let noTarget = try f.run(spec: try f.writeSpec("subarch: amd64\n", name: "notarget.spec"))
        #expect(noTarget.status == 1)
        #expect(noTarget.stderr.contains("CatalystError: Required value \"target\" not specified."))
    }

    @Test("catalyst.conf errors end catalyst with exit 1")
    func confErrors() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let spec = try f.writeSpec(f.stage4Spec())
        try f.writeConf(extraLines: ["bogus_key = 1"])
        let unknown = try f.run(spec: spec)
        #expect(unknown.status == 1)
        #expect(unknown.stdout.contains("CRITICAL: Unknown option 'bogus_key' in config file \(f.confPath)"))
        // catalyst 4.1.1 extends conf_values["options"]: without `options` the default set() crashes it.
        try "storedir = \"\(f.storedir)\"\ndistdir = \"\(f.distdir)\"\n".write(toFile: f.confPath, atomically: true, encoding: .utf8)
        let noOptions = try f.run(spec: spec)
        #expect(noOptions.status == 1)
        #expect(noOptions.stderr.contains("AttributeError: 'set' object has no attribute 'extend'"))
        try f.writeConf(digests: ["blake2b", "sha513"])
        let badDigest = try f.run(spec: spec)
        #expect(badDigest.status == 1)
        #expect(badDigest.stdout.contains("CatalystError: These are not valid digest entries:"))
    }

    @Test("catalyst 3 ignores catalyst.conf keys it does not know, including `key = \"value\"`")
    func catalyst3IgnoresUnknownConfKeys() throws {
        let f = try prepared(3)
        defer { f.remove() }
        // With spaces the key is "storedir " — not storedir — so it is ignored too.
        try f.writeConf(extraLines: ["bogus_key=\"1\"", "storedir = \"/nonexistent\""])
        let run = try f.run(spec: try f.writeSpec(f.stage4Spec()))
        #expect(run.status == 0, "\(run.output)")
        #expect(FileManager.default.fileExists(atPath: f.outputPath()))
    }

    // MARK: spec syntax

    @Test("`#` ends a value anywhere on the line; quotes around a key line's value are stripped")
    func comments() throws {
        let f = try CatalystSimFixture(flavor: 4)
        defer { f.remove() }
        let r = try parse("""
            version_stamp: a#b
            stage4/packages: app-misc/x # app-misc/y
            profile: "default/linux/amd64/23.0"
            # subarch: x86
              ### indented comment
            subarch: amd64#
            """, in: f)
        #expect(r.status == 0)
        #expect(r.values["version_stamp"] as? String == "a")
        #expect(r.values["stage4/packages"] as? String == "app-misc/x")
        #expect(r.values["profile"] as? String == "default/linux/amd64/23.0")
        #expect(r.values["subarch"] as? String == "amd64")
    }

    @Test("a slot atom works on the key line; on a continuation line its `:` starts a new key")
    func slotAtoms() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let onKeyLine = try parse("stage4/packages: dev-lang/python:3.12 app-misc/foo\n", in: f)
        #expect(onKeyLine.values["stage4/packages"] as? [String] == ["dev-lang/python:3.12", "app-misc/foo"])

        let continued = try parse("stage4/packages:\n\tapp-misc/foo\n\tdev-lang/python:3.12\n\tapp-misc/bar\n", in: f)
        #expect(continued.values["stage4/packages"] as? String == "app-misc/foo")
        #expect(continued.values["dev-lang/python"] as? [String] == ["3.12", "app-misc/bar"])

        let spec = f.stage4Spec().replacingOccurrences(of: "stage4/packages: app-misc/hello", with: "stage4/packages:\n  dev-lang/python:3.12")
        let run = try f.run(spec: try f.writeSpec(spec))
        #expect(run.status == 2)
        #expect(run.stdout.contains("WARNING : No value set for key \"stage4/packages\"; deleting"))
        #expect(run.stdout.contains("Argument \"dev-lang/python\" not recognized."))
        #expect(run.stdout.contains("Required argument \"stage4/packages\" not specified."))
    }

    @Test("`%` is Python %-formatting on a key line and literal on continuation lines")
    func percent() throws {
        let f = try CatalystSimFixture(flavor: 4)
        defer { f.remove() }
        let r = try parse("""
            subarch: amd64
            cflags: -O2 100%%
            version_stamp: %(subarch)s-1
            stage4/use:
            \t50%
            \t100%%
            """, in: f)
        #expect(r.status == 0)
        #expect(r.values["cflags"] as? [String] == ["-O2", "100%"])
        #expect(r.values["version_stamp"] as? String == "amd64-1")
        #expect(r.values["stage4/use"] as? [String] == ["50%", "100%%"])

        let lone = try parse("cflags: 5%\n", in: f)
        #expect(lone.status == 1)
        #expect(lone.run.stderr.contains("ValueError: incomplete format"))
        let unknownKey = try parse("cflags: %(nokey)s\n", in: f)
        #expect(unknownKey.status == 1)
        #expect(unknownKey.run.stderr.contains("KeyError: 'nokey'"))
        let badChar = try parse("cflags: 5%z\n", in: f)
        #expect(badChar.status == 1)
        #expect(badChar.run.stderr.contains("ValueError: unsupported format character 'z' (0x7a) at index 2"))
    }

    @Test("continuation lines extend lists; one word is a string, none is None, nothing deletes the key")
    func continuationLines() throws {
        let f = try CatalystSimFixture(flavor: 4)
        defer { f.remove() }
        let r = try parse("""
            stray words
            stage4/use:
            \t-X
            \tssl ipv6
            stage4/rcadd:
            \tsshd|default
            stage4/fsscript: None
            stage4/empty:
            profile: first
            profile: second
            """, in: f)
        #expect(r.status == 0)
        #expect(r.values["stage4/use"] as? [String] == ["-X", "ssl", "ipv6"])
        #expect(r.values["stage4/rcadd"] as? String == "sshd|default")
        #expect(r.values["stage4/fsscript"] is NSNull)
        #expect(r.values["stage4/empty"] == nil)
        #expect(r.run.stdout.contains("No value set for key \"stage4/empty\"; deleting"))
        #expect(r.values["profile"] as? String == "second")
        // A continuation line before any key makes its first word a key.
        #expect(r.values["stray"] as? String == "words")
    }

    // MARK: knobs

    @Test("the fail knob fails matching builds after emerge output and leaves chroot and resume points")
    func failKnob() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let spec = try f.writeSpec(f.stage4Spec(packages: ["app-misc/a", "app-misc/b"]))
        let run = try f.run(spec: spec, environment: ["CATALYST_SIM_FAIL": "default/stage4-amd64-*"])
        #expect(run.status == 2)
        let emerging = try #require(run.stdout.range(of: ">>> Emerging (2 of 2) app-misc/b-1.0::gentoo"))
        let exception = try #require(run.stdout.range(of: "ERROR   : Exception running action sequence build_packages"))
        #expect(emerging.lowerBound < exception.lowerBound)
        #expect(FileManager.default.fileExists(atPath: f.chrootPath() + "/var/db/pkg/app-misc/a-1.0"))
        #expect(FileManager.default.fileExists(atPath: f.autoresumePath() + "/unpack"))
        #expect(!FileManager.default.fileExists(atPath: f.autoresumePath() + "/build_packages"))
        #expect(!FileManager.default.fileExists(atPath: f.outputPath()))

        let other = try f.run(spec: spec, environment: ["CATALYST_SIM_FAIL": "default/stage3-*"])
        #expect(other.status == 0)
        #expect(FileManager.default.fileExists(atPath: f.outputPath()))
    }

    @Test("with autoresume, a rerun after a failure skips the finished steps; -a clears them")
    func autoresume() throws {
        let f = try prepared(4, options: ["autoresume"])
        defer { f.remove() }
        let spec = try f.writeSpec(f.stage4Spec())
        #expect(try f.run(spec: spec, environment: ["CATALYST_SIM_FAIL": "*"]).status == 2)
        let resumed = try f.run(spec: spec, arguments: [])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("Resume: Valid resume point detected, skipping seed unpack operation..."))
        #expect(resumed.stdout.contains("Resume point detected, skipping chroot_setup operation..."))
        #expect(resumed.stdout.contains(">>> Emerging (1 of 1) app-misc/hello-1.0::gentoo"))
        // Success with autoresume removes the resume points.
        #expect(!FileManager.default.fileExists(atPath: f.autoresumePath()))
        #expect(try f.run(spec: spec, environment: ["CATALYST_SIM_FAIL": "*"]).status == 2)
        let cleared = try f.run(spec: spec, arguments: ["-a"])
        #expect(cleared.status == 0)
        #expect(cleared.stdout.contains("Removing AutoResume Points ..."))
        #expect(!cleared.stdout.contains("skipping chroot_setup"))
    }

    @Test("the runs file gets one line per invocation")
    func runsFile() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let runs = f.root + "/runs.txt"
        let spec = try f.writeSpec(f.stage4Spec())
        #expect(try f.run(spec: spec, environment: ["CATALYST_SIM_RUNS_FILE": runs]).status == 0)
        #expect(try f.run(spec: spec, environment: ["CATALYST_SIM_RUNS_FILE": runs, "CATALYST_SIM_FAIL": "*"]).status == 2)
        let lines = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let parts = line.split(separator: " ")
            #expect(parts.count == 2 && Int(parts[0]) != nil)
            #expect(parts.last == "default/stage4-amd64-test-20261124")
        }
    }

    @Test("SIGTERM ends the run like catalyst: exit 1, chroot and resume points left, no tarball")
    func sigterm() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let spec = try f.writeSpec(f.stage4Spec(packages: ["app-misc/a", "app-misc/b"]))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: f.simulatorPath)
        p.arguments = ["-a", "-c", f.confPath, "-f", spec]
        var env = ProcessInfo.processInfo.environment
        env["CATALYST_SIM_FLAVOR"] = "4"
        env["CATALYST_SIM_SLEEP"] = "20"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let setUp = f.autoresumePath() + "/chroot_setup"
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: setUp), Date() < deadline { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: setUp))
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 1)
        #expect(FileManager.default.fileExists(atPath: f.chrootPath()))
        #expect(!FileManager.default.fileExists(atPath: f.outputPath()))
    }

    // MARK: command line and quirks

    @Test("the command line is parsed like catalyst's argparse")
    func commandLine() throws {
        let f = try prepared(4)
        defer { f.remove() }
        let unknown = try f.runRaw(["--bogus", "-c", f.confPath])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("catalyst-sim: error: unrecognized arguments: --bogus"))
        let nothing = try f.runRaw(["-c", f.confPath])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("please specify one of either -f or -C or -s"))
        let missingFile = try f.runRaw(["-f", f.root + "/nope.spec"])
        #expect(missingFile.status == 2)
        #expect(missingFile.stderr.contains("argument -f/--file: file does not exist"))
        let ambiguous = try f.runRaw(["--p", "-f", f.confPath])
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("ambiguous option: --p could match"))
        let version = try f.runRaw(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("catalyst-sim: SIMULATOR"))
        #expect(version.stdout.contains("Catalyst 4.1.1"))
        // Abbreviated long options and combined short flags are accepted.
        let spec = try f.writeSpec(f.stage4Spec())
        #expect(try f.runRaw(["--clear-auto", "--conf", f.confPath, "-af", spec]).status == 0)
    }

    @Test("a compression_mode catalyst does not know leaves no tarball yet exits 0")
    func unknownCompression() throws {
        let f = try prepared(4, compression: "zstd")
        defer { f.remove() }
        let spec = f.stage4Spec().replacingOccurrences(of: "compression_mode: pixz\n", with: "")
        let run = try f.run(spec: try f.writeSpec(spec))
        #expect(run.status == 0)
        #expect(run.stdout.contains("WARNING : Couldn't create stage tarball: \(f.storedir)/builds/default/stage4-amd64-test-20261124."))
        let outputs = try FileManager.default.contentsOfDirectory(atPath: f.storedir + "/builds/default")
        #expect(outputs.isEmpty)
    }

    @Test("compression modes give catalyst's extensions", arguments: [("lbzip2", "tar.bz2"), ("gzip", "tar.gz"), ("tar", "tar")])
    func compressionExtensions(mode: String, ext: String) throws {
        let f = try prepared(4, compression: mode)
        defer { f.remove() }
        let spec = f.stage4Spec().replacingOccurrences(of: "compression_mode: pixz\n", with: "")
        #expect(try f.run(spec: try f.writeSpec(spec)).status == 0)
        let tarball = f.outputPath(ext: ext)
        #expect(try CatalystSimFixture.listMembers(tarball).contains("./etc/catalyst-sim/provenance.json"))
    }

    // MARK: releng-shaped specs

    @Test("releng's stage1 → stage3 → stage4 specs build in a chain with traceable provenance")
    func relengChain() throws {
        let f = try CatalystSimFixture(flavor: 4)
        defer { f.remove() }
        try f.writeConf(options: ["pkgcache", "kerncache", "seedcache"])
        try f.writeSnapshot()
        try f.writeSeed(subpath: "23.0-default/stage3-amd64-openrc-latest")
        let repo = f.root + "/releng"
        try f.directory.write("releng/releases/portage/stages/package.use/releng/zz", "*/* -doc\n")
        try f.directory.write("releng/releases/scripts/cloud-prep.sh", "#!/bin/sh\n")
        try f.directory.write("releng/releases/kconfig/amd64/amd64-gentoo.config", "CONFIG_64BIT=y\n")
        let tokens = ["TIMESTAMP": "20261124T170000Z", "TREEISH": f.snapshotValue(), "REPO_DIR": repo]
        for (name, spec) in [("stage1", RelengSpecs.stage1OpenRC), ("stage3", RelengSpecs.stage3OpenRC), ("stage4", RelengSpecs.stage4Minimal)] {
            let run = try f.run(spec: try f.writeSpec(RelengSpecs.render(spec, tokens: tokens), name: name + ".spec"))
            #expect(run.status == 0, "\(name): \(run.output)")
        }
        let stage4 = f.outputPath(relType: "23.0-default", versionStamp: "minimal-openrc-20261124T170000Z")
        let p = try json(try CatalystSimFixture.readMember(stage4, "./etc/catalyst-sim/provenance.json"))
        let seed3 = try #require((p["seed"] as? [String: Any])?["provenance"] as? [String: Any])
        #expect(seed3["build"] as? String == "23.0-default/stage3-amd64-openrc-20261124T170000Z")
        let seed1 = try #require((seed3["seed"] as? [String: Any])?["provenance"] as? [String: Any])
        #expect(seed1["build"] as? String == "23.0-default/stage1-amd64-openrc-20261124T170000Z")
        let members = try CatalystSimFixture.listMembers(stage4)
        #expect(members.contains("./boot/vmlinuz-sim-gentoo"))
        #expect(members.contains("./var/db/pkg/net-misc/dhcpcd-1.0/"))
        #expect(members.contains("./var/db/pkg/sys-apps/openrc-1.0/"))
        // stage4/unmerge removed the kernel sources that build_kernel installed.
        #expect(!members.contains("./var/db/pkg/sys-kernel/gentoo-sources-1.0/"))
        #expect(try CatalystSimFixture.readMember(stage4, "./boot/config-sim-gentoo") == "CONFIG_64BIT=y\n")
    }

    @Test("a catalyst-3-era releng stage1 spec is accepted by flavour 3")
    func relengCatalyst3() throws {
        let f = try CatalystSimFixture(flavor: 3)
        defer { f.remove() }
        try f.writeConf()
        try f.writeSnapshot(date: "20261124T170000Z")
        try f.writeSeed(subpath: "default/stage3-amd64-latest")
        try f.directory.write("releng/releases/portage/stages/make.conf.catalyst", "# x\n")
        let spec = RelengSpecs.render(RelengSpecs.stage1Catalyst3, tokens: ["TIMESTAMP": "20261124T170000Z", "REPO_DIR": f.root + "/releng"])
        let run = try f.run(spec: try f.writeSpec(spec))
        #expect(run.status == 0, "\(run.output)")
        #expect(FileManager.default.fileExists(atPath: f.outputPath(target: "stage1", versionStamp: "20261124T170000Z")))
        // The same spec is catalyst 3's: catalyst 4 rejects `snapshot`.
        let f4 = try CatalystSimFixture(flavor: 4)
        defer { f4.remove() }
        let parsed = try f4.runRaw(["-f", try f4.writeSpec(spec)], environment: ["CATALYST_SIM_PARSE_ONLY": "1"])
        #expect(parsed.status == 0)
        try f4.writeConf()
        try f4.writeSeed(subpath: "default/stage3-amd64-latest")
        let rejected = try f4.run(spec: try f4.writeSpec(spec, name: "c3.spec"))
        #expect(rejected.status == 2)
        #expect(rejected.stdout.contains("Argument \"snapshot\" not recognized."))
    }
}
