import CBuildBasics

/// Reads of the value kinds config files share — package lists, USE flags,
/// services, names, roles and paths — each checked against `NameRules` or
/// `PathRules` with the element's own line and column in errors.
extension TableReader {
    private func checkedStrings(_ key: String, _ isValid: (String) -> Bool,
                                _ problem: (String) -> String, hint: String? = nil) throws -> [String] {
        let values = try strings(key) ?? []
        for (index, value) in values.enumerated() where !isValid(value) {
            throw invalid(key, index: index, problem(value), hint: hint)
        }
        return values
    }

    /// `packages`: atoms or sets.
    func atoms(_ key: String) throws -> [String] {
        try checkedStrings(key, NameRules.isAtom,
                           { "'\($0)' is not a package atom" },
                           hint: "write category/package (e.g. app-editors/vim) or a set (@world); no spaces or '#'")
    }

    /// `use`: flags, optionally negated.
    func useFlags(_ key: String) throws -> [String] {
        try checkedStrings(key, NameRules.isUseFlag, { "'\($0)' is not a USE flag" },
                           hint: "a flag like 'ipv6' or '-X'; one flag per string")
    }

    /// `services`: `name` or `name|runlevel`.
    func services(_ key: String) throws -> [String] {
        let values = try checkedStrings(key, NameRules.isService, { "'\($0)' is not a service" },
                                        hint: "write 'name|runlevel', e.g. 'sshd|default'")
        for (index, value) in values.enumerated() {
            let parts = value.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 2, !NameRules.runlevels.contains(String(parts[1])) else { continue }
            throw invalid(key, index: index, "'\(parts[1])' in '\(value)' is not an OpenRC runlevel",
                          hint: Suggest.didYouMean(String(parts[1]), among: NameRules.runlevels)
                            ?? "runlevels: " + NameRules.runlevels.joined(separator: ", "))
        }
        return values
    }

    /// Names of features, targets or fleets, each at most once.
    func names(_ key: String, kind: String, allowSlash: Bool = false) throws -> [String] {
        let values = try checkedStrings(key, allowSlash ? NameRules.isPathName : NameRules.isName,
                                        { "'\($0)' is not a valid \(kind) name" })
        var seen = Set<String>()
        for (index, value) in values.enumerated() where !seen.insert(value).inserted {
            throw invalid(key, index: index, "\(kind) '\(value)' is listed twice")
        }
        return values
    }

    /// A snapshot role name.
    func role(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard NameRules.isRole(value) else {
            throw invalid(key, "'\(value)' is not a valid role name",
                          hint: "a role starts with a letter and has letters, digits, '.', '_' or '-' (no '/'), e.g. 'stable'")
        }
        return value
    }

    /// A path inside the build directory that must exist as `kind`.
    func path(_ key: String, kind: ConfigError.PathKind, rules: PathRules) throws -> String? {
        guard let value = try string(key) else { return nil }
        return try rules.check(value, kind: kind, key: keyName(key), location: location(key))
    }

    /// An array of paths inside the build directory.
    func paths(_ key: String, kind: ConfigError.PathKind, rules: PathRules) throws -> [String]? {
        guard let values = try strings(key) else { return nil }
        return try values.enumerated().map { index, value in
            try rules.check(value, kind: kind, key: keyName(key), location: location(key, index: index))
        }
    }

    /// A string that is not empty and carries nothing a spec cannot (`#`, newlines).
    func specSafeString(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        if value.isEmpty { throw invalid(key, "the value is empty") }
        if value.contains("#") || value.contains("\n") {
            throw invalid(key, "'\(value)' contains '#' or a line break, which a catalyst spec cannot carry")
        }
        return value
    }
}
