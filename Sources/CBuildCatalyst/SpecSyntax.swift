import CBuildBasics

/// Writes values in catalyst's spec syntax so that catalyst's parser reads
/// back exactly what cbuild meant. The parser's rules (catalyst's
/// `config.py`, see docs/catalyst-simulator.md):
/// - `#` starts a comment anywhere on a line, so no value may contain it;
/// - a line containing `:` starts a new key at its first `:`; a line without
///   one continues the previous key — so a continuation line holding a slot
///   atom (`dev-lang/python:3.12`) would be read as a new key. cbuild
///   therefore writes every list on its key's own line;
/// - the value on the key's line goes through Python `%` formatting with the
///   values read so far, so a literal `%` is written `%%`;
/// - values are split on whitespace, so a list element cannot contain it;
/// - surrounding `"` are stripped from the key line's value.
public enum SpecSyntax {
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case hash(String), whitespace(String), quote(String), newline(String), empty
        public var description: String {
            switch self {
            case let .hash(v): return "'\(v)' contains '#', which catalyst strips as a comment"
            case let .whitespace(v): return "'\(v)' contains whitespace, which catalyst splits into separate values"
            case let .quote(v): return "'\(v)' starts or ends with '\"', which catalyst strips"
            case let .newline(v): return "'\(v)' contains a line break"
            case .empty: return "an empty value cannot be written"
            }
        }
    }

    /// The problem that keeps `element` from being one list element, if any.
    public static func problem(element: String) -> Problem? {
        if element.isEmpty { return .empty }
        if element.contains("#") { return .hash(element) }
        if element.contains("\n") || element.contains("\r") { return .newline(element) }
        if element.contains(where: { $0 == " " || $0 == "\t" }) { return .whitespace(element) }
        return nil
    }

    /// The problem that keeps `value` from being a single text value (may
    /// contain inner spaces, which catalyst then reads as a list).
    public static func problem(text: String) -> Problem? {
        if text.contains("#") { return .hash(text) }
        if text.contains("\n") || text.contains("\r") { return .newline(text) }
        if text.hasPrefix("\"") || text.hasSuffix("\"") { return .quote(text) }
        return nil
    }

    /// Escapes `%` for catalyst's `%` substitution on the key line.
    public static func escapePercent(_ s: String) -> String { s.replacingOccurrences(of: "%", with: "%%") }

    /// `key: a b c` on one line (never continuation lines). Empty lists
    /// produce `key:` which catalyst reads as an empty value.
    public static func line(key: String, values: [String]) -> String {
        values.isEmpty ? "\(key):" : "\(key): " + values.map(escapePercent).joined(separator: " ")
    }

    public static func line(key: String, text: String) -> String {
        text.isEmpty ? "\(key):" : "\(key): " + escapePercent(text)
    }
}
