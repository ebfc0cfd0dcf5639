import CBuildBasics
import Foundation

/// A catalyst store in a temporary directory for running the catalyst
/// simulator (`catalyst-sim`) the way cbuild runs catalyst: a storedir with
/// a real squashfs (flavour 4) or tarball (flavour 3) snapshot and a real
/// seed tarball, a distdir, a catalyst.conf in the flavour's syntax, and a
/// runner for `catalyst-sim -a -c <conf> -f <spec>`.
public struct CatalystSimFixture: Sendable {
    /// The result of one simulator run.
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var output: String { stdout + stderr }
    }

    public let directory: TemporaryDirectory
    /// 3 or 4.
    public let flavor: Int

    public var root: String { directory.path }
    public var storedir: String { root + "/store" }
    public var distdir: String { root + "/distfiles" }
    public var confPath: String { root + "/catalyst.conf" }
    public var simulatorPath: String { BuiltProducts.path("catalyst-sim") }

    public init(flavor: Int = 4) throws {
        directory = try TemporaryDirectory(prefix: "cbuild-sim")
        self.flavor = flavor
        for dir in [storedir + "/builds/seeds", storedir + "/snapshots", distdir] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    public func remove() { directory.remove() }

    /// Writes catalyst.conf in the flavour's syntax: TOML for 4, `key="value"`
    /// lines for 3 (digest names differ: blake2b vs blake2; flavour 3 also
    /// needs `contents="auto"` for a CONTENTS.gz).
    @discardableResult
    public func writeConf(options: [String] = ["pkgcache", "kerncache"],
                          digests: [String]? = nil,
                          compression: String = "pixz",
                          extraLines: [String] = []) throws -> String {
        var text: String
        if flavor == 4 {
            let d = digests ?? ["blake2b", "sha512"]
            func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
            text = """
                storedir = "\(storedir)"
                distdir = "\(distdir)"
                options = \(list(options))
                digests = \(list(d))
                compression_mode = "\(compression)"

                """
        } else {
            let d = digests ?? ["blake2", "sha512"]
            text = """
                storedir="\(storedir)"
                distdir="\(distdir)"
                portdir="/var/db/repos/portage"
                repo_name="portage"
                options="\(options.joined(separator: " "))"
                digests="\(d.joined(separator: " "))"
                contents="auto"
                compression_mode="\(compression)"

                """
        }
        for line in extraLines { text += line + "\n" }
        try text.write(toFile: confPath, atomically: true, encoding: .utf8)
        return confPath
    }

    /// The spec value naming a snapshot of `date` (`snapshot_treeish` for 4,
    /// `snapshot` for 3), matching the file `writeSnapshot` creates.
    public func snapshotValue(_ date: String = "20261124") -> String { flavor == 4 ? "\(date).xz" : date }
    public var snapshotKey: String { flavor == 4 ? "snapshot_treeish" : "snapshot" }

    /// Creates the snapshot file catalyst looks for: flavour 4
    /// `snapshots/gentoo-<date>.xz.sqfs` (a real squashfs with
    /// profiles/repo_name), flavour 3 `snapshots/portage-<date>.tar.xz`.
    @discardableResult
    public func writeSnapshot(date: String = "20261124", repoName: String = "gentoo") throws -> String {
        let tree = root + "/snapshot-tree-\(date)"
        try FileManager.default.createDirectory(atPath: tree + "/profiles", withIntermediateDirectories: true)
        try (repoName + "\n").write(toFile: tree + "/profiles/repo_name", atomically: true, encoding: .utf8)
        try "snapshot \(date)\n".write(toFile: tree + "/profiles/date", atomically: true, encoding: .utf8)
        if flavor == 4 {
            let file = storedir + "/snapshots/gentoo-\(date).xz.sqfs"
            try Self.check(["mksquashfs", tree, file, "-noappend", "-all-root", "-quiet", "-no-progress",
                            "-mkfs-time", "0", "-all-time", "0", "-processors", "1"])
            return file
        }
        let file = storedir + "/snapshots/portage-\(date).tar.xz"
        try Self.tar(tree, to: file)
        return file
    }

    /// Creates a small real stage3-like seed tarball at
    /// `builds/<subpath>.tar.xz` and returns the subpath, which is what a
    /// spec's `source_subpath` names (without extension, as releng writes it).
    @discardableResult
    public func writeSeed(subpath: String = "seeds/stage3-amd64-openrc-20261124T170000Z",
                          files: [String: String] = ["etc/hostname": "seed\n"]) throws -> String {
        let tree = root + "/seed-tree/" + subpath
        for dir in ["etc/portage", "var/db/pkg/sys-apps/baselayout-2.17", "tmp"] {
            try FileManager.default.createDirectory(atPath: tree + "/" + dir, withIntermediateDirectories: true)
        }
        try "0\n".write(toFile: tree + "/var/db/pkg/sys-apps/baselayout-2.17/SLOT", atomically: true, encoding: .utf8)
        for (rel, content) in files {
            let path = tree + "/" + rel
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let file = storedir + "/builds/" + subpath + ".tar.xz"
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Self.tar(tree, to: file)
        return subpath
    }

    /// A stage4 spec in releng's shape, with this fixture's snapshot value.
    public func stage4Spec(versionStamp: String = "test-20261124",
                           relType: String = "default",
                           sourceSubpath: String = "seeds/stage3-amd64-openrc-20261124T170000Z",
                           packages: [String] = ["app-misc/hello"],
                           extra: String = "") -> String {
        """
        subarch: amd64
        target: stage4
        version_stamp: \(versionStamp)
        rel_type: \(relType)
        profile: default/linux/amd64/23.0
        \(snapshotKey): \(snapshotValue())
        source_subpath: \(sourceSubpath)
        compression_mode: pixz
        stage4/packages: \(packages.joined(separator: " "))
        \(extra)
        """
    }

    /// Writes a spec file and returns its path.
    @discardableResult
    public func writeSpec(_ text: String, name: String = "stage.spec") throws -> String {
        try directory.write(name, text)
    }

    /// Runs `catalyst-sim <arguments> -c <conf> -f <spec>` with the fixture's
    /// flavour; `environment` adds simulator knobs.
    public func run(spec: String, arguments: [String] = ["-a"], environment: [String: String] = [:]) throws -> Run {
        try runRaw(arguments + ["-c", confPath, "-f", spec], environment: environment)
    }

    /// Runs the simulator with exactly these arguments.
    public func runRaw(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["CATALYST_SIM_FLAVOR"] = String(flavor)
        env["TZ"] = "UTC"
        for k in ["CATALYST_SIM_FAIL", "CATALYST_SIM_SLEEP", "CATALYST_SIM_NONREPRODUCIBLE",
                  "CATALYST_SIM_RUNS_FILE", "CATALYST_SIM_PARSE_ONLY", "CATALYST_SIM_PAYLOAD_MB", "SOURCE_DATE_EPOCH"] { env[k] = nil }
        for (k, v) in environment { env[k] = v }
        let r = try SystemProcessRunner().run([simulatorPath] + arguments, environment: env, currentDirectory: root, input: nil)
        return Run(status: r.status, stdout: r.stdoutString, stderr: r.stderrString)
    }

    /// `storedir/builds/<rel_type>/<target>-<subarch>-<version_stamp>.<ext>`.
    public func outputPath(relType: String = "default", target: String = "stage4", subarch: String = "amd64",
                           versionStamp: String = "test-20261124", ext: String = "tar.xz") -> String {
        "\(storedir)/builds/\(relType)/\(target)-\(subarch)-\(versionStamp).\(ext)"
    }

    /// `storedir/tmp/<rel_type>/<target>-<subarch>-<version_stamp>` — the chroot.
    public func chrootPath(relType: String = "default", target: String = "stage4", subarch: String = "amd64",
                           versionStamp: String = "test-20261124") -> String {
        "\(storedir)/tmp/\(relType)/\(target)-\(subarch)-\(versionStamp)"
    }

    /// The autoresume directory catalyst keeps beside the chroot.
    public func autoresumePath(relType: String = "default", target: String = "stage4", subarch: String = "amd64",
                               versionStamp: String = "test-20261124") -> String {
        "\(storedir)/tmp/\(relType)/.autoresume-\(target)-\(subarch)-\(versionStamp)"
    }

    /// One member of a tarball, read with `tar -xOf`.
    public static func readMember(_ tarball: String, _ member: String) throws -> String {
        let r = try SystemProcessRunner().run(["tar", "-xOf", tarball, member])
        guard r.succeeded else { throw FixtureError.tool("tar -xOf \(tarball) \(member): \(r.stderrString)") }
        return r.stdoutString
    }

    /// The member names of a tarball (`tar -tf`).
    public static func listMembers(_ tarball: String) throws -> [String] {
        let r = try SystemProcessRunner().run(["tar", "-tf", tarball])
        guard r.succeeded else { throw FixtureError.tool("tar -tf \(tarball): \(r.stderrString)") }
        return r.stdoutString.split(separator: "\n").map(String.init)
    }

    /// Errors of the fixture's own helper tools.
    public enum FixtureError: Error { case tool(String) }

    static func check(_ argv: [String]) throws {
        let r = try SystemProcessRunner().run(argv)
        guard r.succeeded else { throw FixtureError.tool("\(argv.joined(separator: " ")): \(r.stderrString)") }
    }

    static func tar(_ tree: String, to file: String) throws {
        try check(["tar", "--sort=name", "--format=gnu", "--mtime=@0", "--owner=root:0", "--group=root:0",
                   "--use-compress-program=xz -T1", "-C", tree, "-cf", file, "."])
    }
}
