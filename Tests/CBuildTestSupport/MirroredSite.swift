import CBuildBasics
import Foundation

/// A copy of the repository's example build directory with nothing fetched
/// yet (no artifacts/, no .cache/), pointed at a fresh copy of the signed
/// test mirror whose key sits in `keys/`, and with "today" pinned to
/// `MirroredSite.today` — so `cbuild snapshot fetch` and `cbuild nightly`
/// get their snapshots and seeds the way a user's site would.
public struct MirroredSite: Sendable {
    public let dir: TemporaryDirectory
    public let mirror: MirrorFixture
    public var path: String { dir.path }

    /// "Today" for every command: today-1 (20261124) is not on the mirror,
    /// today-2 (20261123) is the newest snapshot there.
    public static let today = "20261125"
    /// The mirror's signing key as the site holds it.
    public static let keyFile = "keys/test-mirror.asc"

    /// A site using `mirrors` (default: the mirror copy as `file://`).
    public init(mirrors: [String]? = nil, allowHTTP: Bool = false) throws {
        mirror = try MirrorFixture()
        dir = try TemporaryDirectory(prefix: "cbuild-site")
        try Self.copyExample(into: dir.path)
        try FileManager.default.copyItem(atPath: mirror.keyFile, toPath: dir.path + "/" + Self.keyFile)
        try setMirrors(mirrors ?? [mirror.fileURL], allowHTTP: allowHTTP)
    }

    public func remove() {
        dir.remove()
        mirror.remove()
    }

    /// Copies the example directory's committed entries (no artifacts/, no .cache/) into `dest`.
    public static func copyExample(into dest: String) throws {
        let fm = FileManager.default
        for e in ExampleBuildDirectory.exampleEntries where fm.fileExists(atPath: BuiltProducts.packageRoot + "/" + e) {
            let to = dest + "/" + e
            try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: BuiltProducts.packageRoot + "/" + e, toPath: to)
        }
        // The simulator is the directory's catalyst for every command.
        try ExampleBuildDirectory.setCatalystCommand(BuiltProducts.path("catalyst-sim"), in: dest)
    }

    /// Rewrites `[snapshots] mirrors` and `allow_http` in cbuild.toml.
    public func setMirrors(_ urls: [String], allowHTTP: Bool) throws {
        let list = urls.map { "\"\($0)\"" }.joined(separator: ", ")
        try edit("cbuild.toml") { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                if line.hasPrefix("mirrors = ") { return "mirrors = [\(list)]" }
                if line.hasPrefix("allow_http = ") { return "allow_http = \(allowHTTP)" }
                return String(line)
            }.joined(separator: "\n")
        }
    }

    /// Replaces the `[nightly]` table's targets and optional lists.
    public func setNightly(targets: [String], optional: [String]) throws {
        func list(_ l: [String]) -> String { "[" + l.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        try edit("cbuild.toml") { text in
            var inNightly = false
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                if line.hasPrefix("[") { inNightly = line.hasPrefix("[nightly]") }
                guard inNightly else { return String(line) }
                if line.hasPrefix("targets = ") { return "targets = \(list(targets))" }
                if line.hasPrefix("optional = ") { return "optional = \(list(optional))" }
                return String(line)
            }.joined(separator: "\n")
        }
    }

    /// Rewrites one file of the site through `transform`; fails the edit when nothing changed.
    public func edit(_ relative: String, _ transform: (String) -> String) throws {
        let old = try dir.read(relative)
        let new = transform(old)
        guard new != old else {
            throw NSError(domain: "MirroredSite", code: 1, userInfo: [NSLocalizedDescriptionKey: "edit of \(relative) changed nothing"])
        }
        try dir.write(relative, new)
    }

    /// The simulator's runs file (one line per catalyst run).
    public var runsFile: String { dir.path + "/sim-runs.txt" }
    public func simRuns() -> [String] {
        ((try? String(contentsOfFile: runsFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// `cbuild -C site args…` with today pinned and the simulator's runs counted.
    public func cbuild(_ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try Self.cbuild(args, in: path, runsFile: runsFile, environment: environment)
    }

    /// The same for another directory (a copy or clone of the site).
    public static func cbuild(_ args: [String], in dir: String, runsFile: String? = nil,
                              environment: [String: String] = [:]) throws -> CLIResult {
        var env = ["CBUILD_NOW": today, "CATALYST_SIM_RUNS_FILE": runsFile ?? dir + "/sim-runs.txt"]
        for (k, v) in environment { env[k] = v }
        return try CLI.run(args, in: dir, environment: env)
    }

    /// Where a role link points (its literal target), nil when there is none.
    public func link(_ relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + relative)
    }

    /// Entries of a directory of the site, sorted; empty when it does not exist.
    public func entries(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + relative)) ?? []).sorted()
    }
}
