import Foundation

/// Rules for paths named in the build directory's files: relative, no `..`
/// component, and (once resolved) still inside the directory — a symlink out
/// of the tree is refused just like `../`.
public enum PathSafety {
    public enum Violation: Equatable, Sendable, CustomStringConvertible {
        case empty, absolute, parentComponent, symlinkOutside(resolved: String)
        public var description: String {
            switch self {
            case .empty: return "the path is empty"
            case .absolute: return "absolute paths are not allowed; name a path inside the build directory"
            case .parentComponent: return "'..' is not allowed; the path must stay inside the build directory"
            case let .symlinkOutside(resolved): return "a symlink leads outside the build directory (to \(resolved))"
            }
        }
    }

    /// Lexical check: relative, non-empty, no `..` component.
    public static func lexicalViolation(_ relative: String) -> Violation? {
        if relative.isEmpty { return .empty }
        if relative.hasPrefix("/") { return .absolute }
        if relative.split(separator: "/", omittingEmptySubsequences: true).contains("..") { return .parentComponent }
        return nil
    }

    /// Full check against the file system: the lexical rules, then every
    /// symlink on the way resolved and the result still under `root`.
    /// Missing files are not a violation here (callers check existence).
    public static func violation(_ relative: String, under root: String) -> Violation? {
        if let v = lexicalViolation(relative) { return v }
        let rootReal = realPath(root) ?? root
        let full = root + "/" + relative
        guard let resolved = realPath(full) else { return nil }
        if resolved == rootReal || resolved.hasPrefix(rootReal + "/") { return nil }
        return .symlinkOutside(resolved: resolved)
    }

    /// realpath(3); nil when the path does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Whether `path` (absolute, already resolved) is inside `root`.
    public static func isInside(_ path: String, root: String) -> Bool {
        let r = root.hasSuffix("/") ? String(root.dropLast()) : root
        return path == r || path.hasPrefix(r + "/")
    }
}
