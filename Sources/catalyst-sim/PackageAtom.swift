/// A package atom from `stage4/packages` (or `stage4/unmerge`), reduced to
/// what the simulator needs to pretend emerge installed it: category,
/// package name, version (1.0 unless the atom pins one), slot, repository.
/// `@set` names are sets, not packages.
struct PackageAtom: Equatable, Sendable {
    var atom: String
    var category: String
    var name: String
    var version: String
    var slot: String?
    var repository: String
    /// Whether the atom named a version (`=cat/pkg-1.2`, `>=…`); when not,
    /// emerge picks the best visible version the repository offers.
    var pinned: Bool

    /// `cat/pkg-1.0` — the name emerge prints and /var/db/pkg uses.
    var cpv: String { "\(category)/\(name)-\(version)" }

    /// nil for sets (`@world`) and empty atoms.
    init?(_ atom: String) {
        self.atom = atom
        var s = Substring(atom)
        if s.hasPrefix("@") || s.isEmpty { return nil }
        // Operators.
        var hadOperator = false
        for op in ["!!", "!", ">=", "<=", "~", "=", "<", ">"] where s.hasPrefix(op) {
            s = s.dropFirst(op.count)
            hadOperator = true
            break
        }
        // USE dependencies.
        if let bracket = s.firstIndex(of: "[") { s = s[..<bracket] }
        // Repository.
        repository = "gentoo"
        if let range = s.range(of: "::") {
            repository = String(s[range.upperBound...])
            s = s[..<range.lowerBound]
        }
        // Slot (and sub-slot / slot operator).
        slot = nil
        if let colon = s.firstIndex(of: ":") {
            let slotText = String(s[s.index(after: colon)...])
            slot = slotText.isEmpty ? nil : slotText
            s = s[..<colon]
        }
        if s.hasSuffix("*") { s = s.dropLast() }
        let parts = s.split(separator: "/", maxSplits: 1)
        if parts.count == 2 {
            category = String(parts[0])
            s = parts[1]
        } else {
            category = "sim-unresolved"
        }
        version = "1.0"
        pinned = false
        if hadOperator, let v = PackageAtom.splitVersion(String(s)) {
            name = v.name
            version = v.version
            pinned = true
        } else {
            name = String(s)
        }
        if name.isEmpty { return nil }
    }

    /// Splits `pkg-1.2.3-r1` into `pkg` and `1.2.3-r1` at the first `-`
    /// followed by a digit that starts a valid-looking version.
    static func splitVersion(_ pv: String) -> (name: String, version: String)? {
        let chars = Array(pv)
        for i in chars.indices where chars[i] == "-" && i + 1 < chars.count && chars[i + 1].isNumber {
            let version = String(chars[(i + 1)...])
            if version.allSatisfy({ $0.isNumber || $0.isLetter || $0 == "." || $0 == "_" || $0 == "-" }) {
                return (String(chars[..<i]), version)
            }
        }
        return nil
    }
}
