/// A package version as the Package Manager Specification (§3.2–3.3)
/// defines it — `1.2.3b_rc4_p5-r6` — compared the way portage's
/// `portage.versions.vercmp` compares (the reference): first numeric
/// component as an integer; later components as integers unless either
/// starts with `0`, then as digit strings padded with trailing zeros; a
/// missing component is less; the letter; the suffixes
/// (`_alpha < _beta < _pre < _rc < (none) < _p`, each with its number);
/// the revision. Numbers of any length are compared without overflow.
///
/// Equality is the comparison's (`1.0 == 1.00`); `text` keeps the spelling.
public struct PackageVersion: Sendable, Comparable, CustomStringConvertible, Codable {
    /// A suffix kind in PMS order.
    public enum SuffixKind: Int, Sendable, Comparable, Codable {
        case alpha = -4, beta = -3, pre = -2, rc = -1, p = 0
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
        init?(_ s: Substring) {
            switch s {
            case "alpha": self = .alpha
            case "beta": self = .beta
            case "pre": self = .pre
            case "rc": self = .rc
            case "p": self = .p
            default: return nil
            }
        }
    }

    /// One `_kind[number]` suffix; `number` is "" when none was written.
    public struct Suffix: Sendable, Equatable, Codable {
        public var kind: SuffixKind
        public var number: String
    }

    /// The version as written.
    public let text: String
    /// Numeric components, as digit strings (`["1", "02", "3"]`).
    public let components: [String]
    public let letter: Character?
    public let suffixes: [Suffix]
    /// The `-rN` number as written ("" when absent, which compares as 0).
    public let revisionText: String

    /// Parses `text`; nil when it is not a PMS version (what `vercmp` answers None for).
    public init?(_ text: String) {
        self.text = text
        var s = Substring(text)
        var rev = ""
        if let r = s.range(of: "-r", options: .backwards) {
            let digits = s[r.upperBound...]
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
            rev = String(digits)
            s = s[..<r.lowerBound]
        }
        revisionText = rev
        var parts = s.split(separator: "_", omittingEmptySubsequences: false)
        guard !parts.isEmpty else { return nil }
        var head = parts.removeFirst()
        var sufs: [Suffix] = []
        for part in parts {
            let name = part.prefix { $0.isLowercaseASCIILetter }
            let number = part[name.endIndex...]
            guard let kind = SuffixKind(name), number.allSatisfy(\.isASCIIDigit) else { return nil }
            sufs.append(Suffix(kind: kind, number: String(number)))
        }
        suffixes = sufs
        if let last = head.last, last.isLowercaseASCIILetter {
            letter = last
            head = head.dropLast()
        } else {
            letter = nil
        }
        let comps = head.split(separator: ".", omittingEmptySubsequences: false)
        guard !comps.isEmpty, comps.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
        components = comps.map(String.init)
    }

    /// The version without its `-rN` (what `~` atoms and `rlt`/`rge` ranges hold fixed).
    public var withoutRevision: String {
        revisionText.isEmpty ? text : String(text.dropLast(revisionText.count + 2))
    }

    public var description: String { text }

    /// -1, 0 or 1, exactly as `portage.versions.vercmp`.
    public static func compare(_ a: PackageVersion, _ b: PackageVersion) -> Int {
        if a.text == b.text { return 0 }
        var c = Self.integer(a.components[0], b.components[0])
        if c != 0 { return c }
        let n = max(a.components.count, b.components.count)
        for i in 1..<max(n, 1) {
            guard i < a.components.count else { return -1 }
            guard i < b.components.count else { return 1 }
            let x = a.components[i], y = b.components[i]
            if x.first != "0" && y.first != "0" {
                c = Self.integer(x, y)
            } else {
                let width = max(x.count, y.count)
                c = Self.digits(x.padding(toLength: width, withPad: "0", startingAt: 0),
                                y.padding(toLength: width, withPad: "0", startingAt: 0))
            }
            if c != 0 { return c }
        }
        switch (a.letter, b.letter) {
        case let (x?, y?) where x != y: return x < y ? -1 : 1
        case (.some, nil): return 1
        case (nil, .some): return -1
        default: break
        }
        for i in 0..<max(a.suffixes.count, b.suffixes.count) {
            // A missing suffix compares as `_p` numbered -1.
            let x = i < a.suffixes.count ? a.suffixes[i] : nil
            let y = i < b.suffixes.count ? b.suffixes[i] : nil
            let kx = x?.kind ?? .p, ky = y?.kind ?? .p
            if kx != ky { return kx < ky ? -1 : 1 }
            if x?.number != y?.number {
                switch (x, y) {
                case (nil, _): return -1          // -1 against a number >= 0
                case (_, nil): return 1
                case let (x?, y?):
                    c = Self.integer(x.number.isEmpty ? "0" : x.number, y.number.isEmpty ? "0" : y.number)
                    if c != 0 { return c }
                }
            }
        }
        return Self.integer(a.revisionText.isEmpty ? "0" : a.revisionText, b.revisionText.isEmpty ? "0" : b.revisionText)
    }

    /// Compares two decimal digit strings as integers of any size.
    static func integer(_ a: String, _ b: String) -> Int {
        let x = a.drop { $0 == "0" }, y = b.drop { $0 == "0" }
        if x.count != y.count { return x.count < y.count ? -1 : 1 }
        return digits(String(x), String(y))
    }

    /// Compares digit strings of equal length.
    static func digits(_ a: String, _ b: String) -> Int {
        a == b ? 0 : (a < b ? -1 : 1)
    }

    /// Compares revisions only (the `rlt rle rge rgt` ranges).
    static func compareRevisions(_ a: PackageVersion, _ b: PackageVersion) -> Int {
        integer(a.revisionText.isEmpty ? "0" : a.revisionText, b.revisionText.isEmpty ? "0" : b.revisionText)
    }

    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = PackageVersion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a version"))
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isLowercaseASCIILetter: Bool { ("a"..."z").contains(self) }
}
