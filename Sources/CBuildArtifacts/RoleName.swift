/// Rules for the names that end up in file names under `artifacts/`: roles
/// (`stable`, `testing`), seed names, arches and variants. A role must start
/// with a letter so a role link can never be mistaken for (or overwrite) a
/// dated file such as `portage-20261124.tar.xz`.
public enum RoleName {
    public static func isValid(_ role: String) -> Bool {
        guard let first = role.unicodeScalars.first, role.count <= 64, ("a"..."z").contains(first) else { return false }
        return role.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    public static func validate(_ role: String) throws {
        if !isValid(role) { throw ArtifactError.invalidRole(role) }
    }

    /// Seed names, arches and variants: letters, digits, `-`, `_`, `.`; no path separators, no `..`.
    public static func isValidComponent(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 100, text != ".", text != "..", !text.hasPrefix(".") else { return false }
        return text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "_" || $0 == "."
        }
    }
}
