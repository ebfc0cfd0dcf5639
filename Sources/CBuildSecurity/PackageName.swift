/// A package as installed or offered: category, name, version, in the
/// `CAT/PN-PV[-rN]` form portage writes (`dev-libs/openssl-3.0.13-r1`).
/// Parsing splits the name from the version the way portage's `pkgsplit`
/// does: at the first `-` whose remainder is a whole PMS version, and a
/// name may not itself end in `-<version>`.
public struct PackageName: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var category: String
    public var name: String

    /// `cat/pn`.
    public var cp: String { "\(category)/\(name)" }
    public var description: String { cp }

    public init(category: String, name: String) {
        self.category = category; self.name = name
    }

    /// Parses `cat/pn` (no version); nil when either part breaks PMS §3.1's name rules.
    public init?(_ cp: String) {
        let parts = cp.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isCategory(parts[0]), Self.isPackage(parts[1]) else { return nil }
        self.init(category: String(parts[0]), name: String(parts[1]))
    }

    /// Splits `pn-1.2-r3` into name and version; nil when no split gives a valid pair.
    public static func split(pf: String) -> (name: String, version: PackageVersion)? {
        var index = pf.startIndex
        while let dash = pf[index...].firstIndex(of: "-") {
            let rest = pf[pf.index(after: dash)...]
            let name = pf[..<dash]
            if let v = PackageVersion(String(rest)), isPackage(name) {
                return (String(name), v)
            }
            index = pf.index(after: dash)
        }
        return nil
    }

    /// PMS 3.1.1: `[A-Za-z0-9_][A-Za-z0-9+_.-]*`.
    static func isCategory(_ s: Substring) -> Bool {
        guard let first = s.first, first != "-" && first != "." && first != "+" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+_.-".contains($0)) }
    }

    /// PMS 3.1.2: `[A-Za-z0-9_][A-Za-z0-9+_-]*`, not ending in `-<version>`.
    static func isPackage(_ s: Substring) -> Bool {
        guard let first = s.first, first != "-" && first != "+" else { return false }
        guard s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+_-".contains($0)) }) else { return false }
        var index = s.startIndex
        while let dash = s[index...].firstIndex(of: "-") {
            if PackageVersion(String(s[s.index(after: dash)...])) != nil { return false }
            index = s.index(after: dash)
        }
        return true
    }

    public static func < (a: Self, b: Self) -> Bool { (a.category, a.name) < (b.category, b.name) }
}
