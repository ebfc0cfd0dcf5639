import CBuildBasics
import Foundation

/// Checks every path a config file names: relative to the build directory,
/// no `..`, not absolute, no symlink leading out (`PathSafety`), and an
/// existing file or directory as the key requires.
struct PathRules: Sendable {
    let directory: BuildDirectory

    /// The normalized path, or a `ConfigError` at `location`.
    func check(_ raw: String, kind: ConfigError.PathKind, key: String, location: SourceLocation) throws -> String {
        let path = NameRules.normalizedPath(raw)
        if path.isEmpty {
            throw ConfigError.pathEscapes(location, key: key, path: raw, violation: .empty)
        }
        if let violation = PathSafety.violation(path, under: directory.root) {
            throw ConfigError.pathEscapes(location, key: key, path: raw, violation: violation)
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory.path(path), isDirectory: &isDirectory)
        guard exists, isDirectory.boolValue == (kind == .directory) else {
            throw ConfigError.missingPath(location, key: key, path: raw, expected: kind)
        }
        return path
    }
}
