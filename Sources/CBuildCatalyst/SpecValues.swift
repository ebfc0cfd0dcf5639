/// Reads back the `key: value` pairs of a rendered spec the way catalyst's
/// parser does for the lines cbuild writes (one line per key; `#` comments;
/// values split on whitespace), to find `target`, `subarch`, `rel_type` and
/// `version_stamp` — so the expected output path is derived from exactly
/// what catalyst was given.
public struct SpecValues: Sendable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var order: [String] = []

    public init(parsing text: String) {
        var current: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if let colon = trimmed.firstIndex(of: ":") {
                let key = String(trimmed[..<colon])
                var value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                while value.hasPrefix("\"") { value.removeFirst() }
                while value.hasSuffix("\"") { value.removeLast() }
                value = value.replacingOccurrences(of: "%%", with: "%")
                if values[key] == nil { order.append(key) }
                values[key] = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                current = key
            } else if let key = current {
                values[key, default: []] += trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            }
        }
    }

    public subscript(key: String) -> [String]? { values[key] }
    public func first(_ key: String) -> String? { values[key]?.first }
}
