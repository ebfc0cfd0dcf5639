/// Parses emerge's progress lines as they pass through catalyst's output:
/// `>>> Emerging (3 of 12) dev-libs/openssl-3.3.2::gentoo` (also
/// `>>> Emerging binary (…)`) becomes "(3 of 12) dev-libs/openssl-3.3.2".
public enum EmergeProgress {
    public static func parse(_ line: String) -> String? {
        guard let r = line.range(of: ">>> Emerging ") else { return nil }
        var rest = line[r.upperBound...]
        if rest.hasPrefix("binary ") { rest = rest.dropFirst("binary ".count) }
        guard rest.hasPrefix("("), let close = rest.firstIndex(of: ")") else { return nil }
        let counter = rest[rest.index(after: rest.startIndex)..<close]
        let parts = counter.split(separator: " ")
        guard parts.count == 3, parts[1] == "of", Int(parts[0]) != nil, Int(parts[2]) != nil else { return nil }
        var atom = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
        if let sep = atom.range(of: "::") { atom = String(atom[..<sep.lowerBound]) }
        if let sp = atom.firstIndex(of: " ") { atom = String(atom[..<sp]) }
        return "(\(counter)) \(atom)"
    }
}
