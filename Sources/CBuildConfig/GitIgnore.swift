import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether the build directory's top-level `.gitignore` keeps a path out
/// of git, so a file holding a credential is never committed by accident.
/// Follows gitignore's common rules: `#` comments, `!` re-includes, a
/// trailing `/` matches a directory and all below it, a pattern without a
/// slash matches any path component, one with a slash matches from the
/// top; `*`, `?` and `[…]` as in fnmatch.
struct GitIgnore: Sendable {
    let patterns: [String]

    init(root: String) {
        let text = (try? String(contentsOfFile: root + "/.gitignore", encoding: .utf8)) ?? ""
        patterns = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    init(patterns: [String]) { self.patterns = patterns }

    /// `path` is relative to the build directory, normalized.
    func ignores(_ path: String) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        var ignored = false
        for raw in patterns {
            let negated = raw.hasPrefix("!")
            var p = negated ? String(raw.dropFirst()) : raw
            let directoryOnly = p.hasSuffix("/")
            if directoryOnly { p.removeLast() }
            let anchored = p.contains("/")
            if p.hasPrefix("/") { p.removeFirst() }
            var hit = false
            // Every prefix of the path (a directory matched covers all below it);
            // the whole path only when the pattern is not for directories.
            for n in 1...max(1, components.count) where n <= components.count {
                if directoryOnly && n == components.count { break }
                let candidate = anchored ? components[0..<n].joined(separator: "/") : components[n - 1]
                if fnmatch(p, candidate, anchored ? FNM_PATHNAME : 0) == 0 { hit = true; break }
            }
            if hit { ignored = !negated }
        }
        return ignored
    }
}
