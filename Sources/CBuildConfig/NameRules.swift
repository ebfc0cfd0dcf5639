/// What names and values in the build directory may look like: target,
/// feature, fleet and seed names, snapshot roles, template variables,
/// package atoms, USE flags and services. Kept strict so every name can
/// become a node name, a file name and a catalyst spec value unchanged.
enum NameRules {
    /// Tokens the spec renderer defines itself; a target's `[vars]` may not reuse them.
    static let builtinTokens = ["TIMESTAMP", "DATESTAMP", "TREEISH", "REPO_DIR", "SNAPSHOT", "SEED", "VERSION_STAMP", "ROOT"]

    static func isLetterOrDigit(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }

    /// One name component: a letter or digit, then letters, digits, `.`, `_`, `+`, `-`.
    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isLetterOrDigit(first) else { return false }
        return s.unicodeScalars.allSatisfy { isLetterOrDigit($0) || "._+-".unicodeScalars.contains($0) }
    }

    /// A name of `/`-separated components (targets: `vm/test`).
    static func isPathName(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { isName(String($0)) }
    }

    /// A snapshot or seed role: starts with a letter (so it never looks like
    /// a date), then letters, digits, `.`, `_`, `-`; no `/`.
    static func isRole(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { isLetterOrDigit($0) || "._-".unicodeScalars.contains($0) }
    }

    /// UPPER_SNAKE, used as `@NAME@` in templates.
    static func isVariable(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("A"..."Z").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func hasSpaceOrComment(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0 == "#" || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    }

    /// A package atom or set as catalyst's package lists take them:
    /// `app-editors/vim`, `>=dev-lang/python-3.12:3.12`, `@world`.
    static func isAtom(_ s: String) -> Bool {
        !s.isEmpty && !hasSpaceOrComment(s) && (s.contains("/") || (s.hasPrefix("@") && s.count > 1))
    }

    /// A USE flag, optionally negated: `ipv6`, `-X`, `python_targets_python3_12`, `-*`.
    static func isUseFlag(_ s: String) -> Bool {
        let flag = s.hasPrefix("-") ? String(s.dropFirst()) : s
        if s == "-*" { return true }
        guard let first = flag.unicodeScalars.first, isLetterOrDigit(first) else { return false }
        return flag.unicodeScalars.allSatisfy { isLetterOrDigit($0) || "+_@.-".unicodeScalars.contains($0) }
    }

    /// The flag name without its sign, for merging `X` and `-X`.
    static func useFlagName(_ s: String) -> String { s.hasPrefix("-") ? String(s.dropFirst()) : s }

    /// `sshd` or `sshd|default` — catalyst's rcadd form.
    /// OpenRC's runlevels, where catalyst's `stage4/rcadd` puts services.
    static let runlevels = ["boot", "default", "sysinit", "shutdown", "nonetwork"]

    static func isService(_ s: String) -> Bool {
        let parts = s.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let name = parts.first, let first = name.unicodeScalars.first,
              isLetterOrDigit(first),
              name.unicodeScalars.allSatisfy({ isLetterOrDigit($0) || "._@:-".unicodeScalars.contains($0) })
        else { return false }
        if parts.count == 2 {
            let level = parts[1]
            return !level.isEmpty && level.unicodeScalars.allSatisfy { isLetterOrDigit($0) || "_-".unicodeScalars.contains($0) }
        }
        return true
    }

    /// `a/./b//c/` → `a/b/c`, so the same file is always named the same way.
    static func normalizedPath(_ s: String) -> String {
        let leading = s.hasPrefix("/") ? "/" : ""
        return leading + s.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}
