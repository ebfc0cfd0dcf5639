import CBuildBasics
import Foundation

/// Runs the built `cbuild` executable as a user would and captures what it
/// printed and its exit status.
public struct CLIResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

public enum CLI {
    /// `cbuild -C dir args…` with the simulator as catalyst unless told otherwise.
    public static func run(_ args: [String], in dir: String? = nil, environment: [String: String] = [:],
                           input: String? = nil) throws -> CLIResult {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "dumb"
        env["PATH"] = BuiltProducts.directory + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        for (k, v) in environment { env[k] = v }
        let argv = [BuiltProducts.path("cbuild")] + (dir.map { ["-C", $0] } ?? []) + args
        let r = try SystemProcessRunner().run(argv, environment: env, currentDirectory: dir, input: input.map { Array($0.utf8) })
        return CLIResult(status: r.signaled ? 128 + r.status : r.status, stdout: r.stdoutString, stderr: r.stderrString)
    }
}

/// A copy of the repository's example build directory in a temp dir, with
/// a snapshot and a seed placed where `snapshot fetch` / `seed fetch` would
/// put them (role links included), ready for the simulator.
public struct ExampleBuildDirectory: Sendable {
    public let dir: TemporaryDirectory
    public var path: String { dir.path }
    public static let exampleEntries = [".gitignore", "cbuild.toml", "targets", "features", "fleets", "specs", "kernel",
                                        "portage", "overlays", "scripts/fsscripts", "keys"]

    public init(snapshotDates: [String] = ["20261124"], stableDate: String? = "20261124") throws {
        dir = try TemporaryDirectory(prefix: "cbuild-example")
        let fm = FileManager.default
        for e in ExampleBuildDirectory.exampleEntries where fm.fileExists(atPath: BuiltProducts.packageRoot + "/" + e) {
            let dest = dir.path + "/" + e
            try fm.createDirectory(atPath: (dest as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: BuiltProducts.packageRoot + "/" + e, toPath: dest)
        }
        // The simulator is this directory's catalyst for every command
        // (its identity is in every stage's key, so status and explain
        // must ask the same catalyst the builds ran).
        try Self.setCatalystCommand(BuiltProducts.path("catalyst-sim"), in: dir.path)
        for d in snapshotDates { try placeSnapshot(date: d) }
        if let stableDate { try setSnapshotRole("stable", date: stableDate) }
        try placeSeed(name: "amd64-openrc", ident: "20261120T170000Z")
    }

    public func remove() { dir.remove() }

    /// A small real squashfs (catalyst 4 mounts it; the simulator checks its superblock).
    /// `files` adds tree files (e.g. `metadata/glsa/glsa-ID.xml`, `CAT/PN/PN-VER.ebuild`).
    public func placeSnapshot(date: String, files: [String: String] = [:]) throws {
        let snapDir = dir.path + "/artifacts/snapshots"
        try FileManager.default.createDirectory(atPath: snapDir, withIntermediateDirectories: true)
        let file = snapDir + "/gentoo-\(date).xz.sqfs"
        let tree = try TemporaryDirectory(prefix: "snaptree"); defer { tree.remove() }
        try tree.write("metadata/timestamp.chk", "\(date)\n")
        try tree.write("app-misc/hello/hello-1.0.ebuild", "EAPI=8\nSLOT=\"0\"\nKEYWORDS=\"amd64\"\n")
        for (path, text) in files { _ = try tree.write(path, text) }
        let r = try SystemProcessRunner().run(["mksquashfs", tree.path, file, "-noappend", "-quiet", "-comp", "xz",
                                                "-all-root", "-mkfs-time", "0", "-all-time", "0"])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "mksquashfs", reason: r.stderrString) }
    }

    public func setSnapshotRole(_ role: String, date: String) throws {
        let link = dir.path + "/artifacts/snapshots/gentoo-\(role).sqfs"
        unlink(link)
        guard symlink("gentoo-\(date).xz.sqfs", link) == 0 else { throw BasicsError.io(path: link, operation: "symlink", errno: errno) }
    }

    /// Points `[catalyst] command` of the build directory at `dir` to `executable`.
    public static func setCatalystCommand(_ executable: String, in dir: String) throws {
        let conf = dir + "/cbuild.toml"
        let lines = try String(contentsOfFile: conf, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try lines.map { $0.hasPrefix("command = ") ? "command = [\"\(executable)\"]" : String($0) }.joined(separator: "\n")
            .write(toFile: conf, atomically: true, encoding: .utf8)
    }

    /// A real tar.xz seed with a marker file.
    public func placeSeed(name: String, ident: String, role: String = "stable") throws {
        let seeds = dir.path + "/artifacts/builds/seeds"
        try FileManager.default.createDirectory(atPath: seeds, withIntermediateDirectories: true)
        let tree = try TemporaryDirectory(prefix: "seedtree"); defer { tree.remove() }
        try tree.write("etc/gentoo-release", "Gentoo Base System release 2.17 (seed \(ident))\n")
        let file = "stage3-amd64-openrc-\(ident).tar.xz"
        let r = try SystemProcessRunner().run(["tar", "-C", tree.path, "--sort=name", "--mtime=@0", "--owner=0", "--group=0",
                                                "--numeric-owner", "-cJf", seeds + "/" + file, "."])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "tar", reason: r.stderrString) }
        let link = seeds + "/\(name)-\(role).tar.xz"
        unlink(link)
        guard symlink(file, link) == 0 else { throw BasicsError.io(path: link, operation: "symlink", errno: errno) }
    }

    /// Rewrites a file of the directory.
    public func edit(_ relative: String, _ transform: (String) throws -> String) throws {
        _ = try dir.write(relative, try transform(try dir.read(relative)))
    }

    /// Counts the simulator's runs through its runs file.
    public var runsFile: String { dir.path + "/sim-runs.txt" }
    public func simRuns() -> [String] {
        ((try? String(contentsOfFile: runsFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// `cbuild` in this directory with the simulator as catalyst.
    public func cbuild(_ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        var env = ["CATALYST_SIM_RUNS_FILE": runsFile]
        for (k, v) in environment { env[k] = v }
        return try CLI.run(args, in: path, environment: env)
    }

    /// Build args with the simulator as the catalyst command.
    public static func withSim(_ args: [String]) -> [String] { ["--catalyst", BuiltProducts.path("catalyst-sim")] + args }
}
