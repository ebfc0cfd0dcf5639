import CBuildBasics
import Foundation

/// The build directory: the one directory holding cbuild.toml and everything
/// it refers to (SPEC section 1). Found like git finds a repository — the
/// nearest `cbuild.toml` from the working directory upwards — or named with
/// `-C DIR`. Every path in its files is relative to `root`.
public struct BuildDirectory: Sendable, Hashable {
    /// Absolute, with symlinks resolved.
    public let root: String

    /// The file that marks a build directory.
    public static let configFileName = "cbuild.toml"

    /// No checks: for tests and `cbuild init`.
    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// `explicit` (from `-C`, relative to `cwd` unless absolute) must contain
    /// cbuild.toml; otherwise walk up from `cwd` to the nearest directory that does.
    public static func discover(from cwd: String, explicit: String?) throws -> BuildDirectory {
        let fm = FileManager.default
        if let explicit {
            let absolute = explicit.hasPrefix("/") ? explicit : cwd + "/" + explicit
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue,
                  let resolved = PathSafety.realPath(absolute) else {
                throw ConfigError.invalidExplicitDirectory(path: explicit, reason: "no such directory")
            }
            guard isRegularFile(resolved + "/" + configFileName) else {
                throw ConfigError.invalidExplicitDirectory(path: explicit, reason: "no \(configFileName) in this directory")
            }
            return BuildDirectory(root: resolved)
        }
        guard var dir = PathSafety.realPath(cwd) else {
            throw ConfigError.notABuildDirectory(searchedFrom: cwd)
        }
        while true {
            if isRegularFile(dir + "/" + configFileName) { return BuildDirectory(root: dir) }
            if dir == "/" { break }
            dir = (dir as NSString).deletingLastPathComponent
            if dir.isEmpty { dir = "/" }
        }
        throw ConfigError.notABuildDirectory(searchedFrom: cwd)
    }

    /// `root/relative`.
    public func path(_ relative: String) -> String {
        relative.isEmpty ? root : (root == "/" ? "/" + relative : root + "/" + relative)
    }

    /// `root/cbuild.toml`.
    public var configFile: String { path(Self.configFileName) }
    /// `root/.cache`: state.db, rendered catalyst configs, logs, the lock. Never committed.
    public var cacheDirectory: String { path(".cache") }
    /// `root/artifacts`: catalyst's storedir and images. Never committed.
    public var artifactsDirectory: String { path("artifacts") }

    private static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
