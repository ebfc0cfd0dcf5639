import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// `cbuild test image/…` through the real binary over a copy of the example
/// build directory, with a stand-in catalyst that writes the synthetic
/// stage4 where catalyst would.
@Suite(.serialized) struct TestCommandTests {
    /// A `catalyst` that reads the spec's output name and places `$FAKE_STAGE4` there.
    static let fakeCatalyst = """
        #!/bin/sh
        [ "$1" = --version ] && { echo "fake-catalyst 1 (a test stand-in that copies a prepared stage4)"; exit 0; }
        while [ $# -gt 0 ]; do case "$1" in -f) spec="$2"; shift;; esac; shift; done
        get() { sed -n "s/^$1: *//p" "$spec" | head -n 1; }
        out="$FAKE_STOREDIR/builds/$(get rel_type)/$(get target)-$(get subarch)-$(get version_stamp).tar.xz"
        mkdir -p "$(dirname "$out")"
        cp "$FAKE_STAGE4" "$out"
        printf '# SHA512 HASH\\n%s  %s\\n' "$(sha512sum < "$out" | cut -d' ' -f1)" "$(basename "$out")" > "$out.DIGESTS"
        echo ">>> placed $out"

        """

    /// `cbuild SUBCOMMAND -C DIR ARGS…` (the subcommand first, so it is never read as a node name).
    func cbuild(_ subcommand: String, _ ex: ExampleBuildDirectory, _ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try CLI.run([subcommand, "-C", ex.path] + args, environment: environment)
    }

    @Test func aNodeThatIsNoImageIsAUsageError() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try cbuild("test", ex, ["stage4/vm/test"])
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("'stage4/vm/test' is not an image node"), "\(r)")
        #expect(r.stderr.contains("image/vm/test.qcow2"), "the hint lists the image nodes: \(r)")
        let typo = try cbuild("test", ex, ["image/vm/tset.qcow2"])
        #expect(typo.status == 2 && typo.stderr.contains("did you mean 'image/vm/test.qcow2'?"), "\(typo)")
    }

    @Test(.enabled(if: SyntheticStage4.bootable), .timeLimit(.minutes(6)))
    func theExampleTestVMIsBuiltAndBootTested() throws {
        let (ex, catalyst, env) = try prepared(); defer { ex.remove() }
        let r = try cbuild("build", ex, ["--catalyst", catalyst, "image/vm/test.qcow2"], environment: env)
        #expect(r.status == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: ex.path + "/artifacts/out/image/vm/test.qcow2"))
        let t = try cbuild("test", ex, ["image/vm/test.qcow2"], environment: env)
        #expect(t.status == 0, "\(t)")
        #expect(t.stdout.contains("PASS image/vm/test.qcow2: marker after"), "\(t)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: ex.path + "/.cache/logs/test/image/vm/test.qcow2")
        #expect(logs.count == 1)
        // The cached node passes too and then stays clean.
        let node = try cbuild("build", ex, ["--catalyst", catalyst, "test/vm/test"], environment: env)
        #expect(node.status == 0, "\(node)")
    }

    /// The example directory with `[image]` made small and the fake catalyst in place.
    func prepared() throws -> (ExampleBuildDirectory, catalyst: String, environment: [String: String]) {
        let ex = try ExampleBuildDirectory()
        let plain = ex.path + "/stage4.tar"
        try SyntheticStage4.write(to: plain, scratch: ex.path)
        let xz = try SystemProcessRunner().run(["xz", "-0", "-T2", plain])
        guard xz.succeeded else { throw CocoaError(.fileWriteUnknown) }
        let catalyst = try ex.dir.write("fake-catalyst", Self.fakeCatalyst)
        chmod(catalyst, 0o755)
        try ExampleBuildDirectory.setCatalystCommand(catalyst, in: ex.path)
        let target = ex.path + "/targets/vm/test.toml"
        let text = try String(contentsOfFile: target, encoding: .utf8)
        try (text + """

            [image]
            size = "160M"
            esp_size = "48M"
            boot_marker = "\(SyntheticStage4.marker)"
            boot_timeout = 300
            boot_memory = "512M"

            """).write(toFile: target, atomically: true, encoding: .utf8)
        return (ex, catalyst, ["FAKE_STAGE4": plain + ".xz", "FAKE_STOREDIR": ex.path + "/artifacts"])
    }

    static var canDropPrivileges: Bool { getuid() == 0 && Executables.find("setpriv") != nil && SyntheticStage4.kernel != nil }

    /// The rootless path is the only path: an image built by an unprivileged
    /// user is byte for byte the one root builds (owners, device nodes,
    /// set-uid modes and xattrs included).
    @Test(.enabled(if: canDropPrivileges))
    func anUnprivilegedUserBuildsTheSameImageAsRoot() throws {
        let (asRoot, catalyst, env) = try prepared(); defer { asRoot.remove() }
        let r = try cbuild("build", asRoot, ["--catalyst", catalyst, "image/vm/test.raw"], environment: env)
        #expect(r.status == 0, "\(r)")
        let (asNobody, catalyst2, env2) = try prepared(); defer { asNobody.remove() }
        let chown = try SystemProcessRunner().run(["chown", "-R", "65534:65534", asNobody.path])
        #expect(chown.succeeded)
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "dumb"; environment["HOME"] = asNobody.path
        for (k, v) in env2 { environment[k] = v }
        let n = try SystemProcessRunner().run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                               BuiltProducts.path("cbuild"), "build", "-C", asNobody.path,
                                               "--catalyst", catalyst2, "image/vm/test.raw"],
                                              environment: environment, currentDirectory: asNobody.path, input: nil)
        #expect(n.status == 0, "\(n.stdoutString)\n\(n.stderrString)")
        func digest(_ ex: ExampleBuildDirectory) throws -> Digest {
            try ContentHasher.digestFile(at: ex.path + "/artifacts/out/image/vm/test.raw")
        }
        #expect(try digest(asRoot) == digest(asNobody))
    }
}
