import Foundation

/// Reads catalyst 4's catalyst.conf, which catalyst loads with `tomli`.
/// catalyst.conf is flat, so this covers the TOML a conf uses: bare and
/// quoted keys, basic/literal (and multi-line) strings, integers, floats,
/// booleans, arrays (nested, multi-line, trailing commas, comments).
/// Tables, dotted keys, inline tables and dates are not simulated: they are
/// reported as parse errors (catalyst would reject them later anyway,
/// because no allowed catalyst.conf key takes a table).
struct TOMLConfParser {
    /// A syntax error with tomli-like wording and position.
    struct ParseError: Error, CustomStringConvertible, Sendable {
        var message: String
        var line: Int
        var column: Int
        var description: String { "\(message) (at line \(line), column \(column))" }
    }

    private let s: [Unicode.Scalar]
    private var i = 0

    private init(_ text: String) { s = Array(text.unicodeScalars) }

    /// Parses a document into top-level keys in file order.
    static func parse(_ text: String) throws -> PyDict {
        var p = TOMLConfParser(text)
        return try p.document()
    }

    private var position: (Int, Int) {
        var line = 1, col = 1
        for k in 0..<min(i, s.count) {
            if s[k] == "\n" { line += 1; col = 1 } else { col += 1 }
        }
        return (line, col)
    }

    private func fail(_ message: String) -> ParseError {
        let (l, c) = position
        return ParseError(message: message, line: l, column: c)
    }

    private var atEnd: Bool { i >= s.count }
    private var cur: Unicode.Scalar? { i < s.count ? s[i] : nil }

    private mutating func skipSpaces() {
        while let c = cur, c == " " || c == "\t" { i += 1 }
    }

    private mutating func skipComment() {
        if cur == "#" { while let c = cur, c != "\n" { i += 1 } }
    }

    /// Skips whitespace, newlines and comments (inside arrays).
    private mutating func skipAllSpace() {
        while let c = cur {
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 }
            else if c == "#" { skipComment() }
            else { break }
        }
    }

    private mutating func endOfLine() throws {
        skipSpaces()
        skipComment()
        if cur == "\r" { i += 1 }
        if atEnd { return }
        guard cur == "\n" else { throw fail("Expected newline or end of document after a statement") }
        i += 1
    }

    private mutating func document() throws -> PyDict {
        var out = PyDict()
        while true {
            skipAllSpace()
            guard let c = cur else { break }
            if c == "[" { throw fail("Tables are not simulated by catalyst-sim (catalyst.conf is flat)") }
            let key = try parseKey()
            skipSpaces()
            if cur == "." { throw fail("Dotted keys are not simulated by catalyst-sim") }
            guard cur == "=" else { throw fail("Expected '=' after a key in a key/value pair") }
            i += 1
            skipSpaces()
            let value = try parseValue()
            if out.contains(key) { throw fail("Cannot overwrite a value") }
            out[key] = value
            try endOfLine()
        }
        return out
    }

    private mutating func parseKey() throws -> String {
        guard let c = cur else { throw fail("Invalid statement") }
        if c == "\"" { return try basicString() }
        if c == "'" { return try literalString() }
        var key = String.UnicodeScalarView()
        while let c = cur, ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-" {
            key.append(c); i += 1
        }
        guard !key.isEmpty else { throw fail("Invalid statement") }
        return String(key)
    }

    private mutating func parseValue() throws -> PyValue {
        guard let c = cur else { throw fail("Invalid value") }
        switch c {
        case "\"":
            if startsWith("\"\"\"") { return .str(try multilineBasic()) }
            return .str(try basicString())
        case "'":
            if startsWith("'''") { return .str(try multilineLiteral()) }
            return .str(try literalString())
        case "[": return try array()
        case "{": throw fail("Inline tables are not simulated by catalyst-sim")
        default:
            if startsWith("true") { i += 4; return .bool(true) }
            if startsWith("false") { i += 5; return .bool(false) }
            return try number()
        }
    }

    private func startsWith(_ t: String) -> Bool {
        let u = Array(t.unicodeScalars)
        guard i + u.count <= s.count else { return false }
        return Array(s[i..<(i + u.count)]) == u
    }

    private mutating func array() throws -> PyValue {
        i += 1
        var items: [PyValue] = []
        while true {
            skipAllSpace()
            guard let c = cur else { throw fail("Unclosed array") }
            if c == "]" { i += 1; return .list(items) }
            items.append(try parseValue())
            skipAllSpace()
            if cur == "," { i += 1; continue }
            if cur == "]" { i += 1; return .list(items) }
            throw fail("Unclosed array")
        }
    }

    private mutating func number() throws -> PyValue {
        var text = String.UnicodeScalarView()
        while let c = cur, !(c == " " || c == "\t" || c == "\n" || c == "\r" || c == "," || c == "]" || c == "#") {
            text.append(c); i += 1
        }
        let raw = String(text)
        let t = raw.replacingOccurrences(of: "_", with: "")
        if t.isEmpty { throw fail("Invalid value") }
        if ["inf", "+inf"].contains(t) { return .float(.infinity) }
        if t == "-inf" { return .float(-.infinity) }
        if ["nan", "+nan", "-nan"].contains(t) { return .float(.nan) }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where t.hasPrefix(prefix) {
            if let v = Int(t.dropFirst(2), radix: radix) { return .int(v) }
            throw fail("Invalid value")
        }
        if let v = Int(t) { return .int(v) }
        if t.contains(":") || (t.count >= 10 && t.dropFirst(4).first == "-") {
            throw fail("Dates and times are not simulated by catalyst-sim")
        }
        if let v = Double(t), t.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .float(v) }
        throw fail("Invalid value")
    }

    private mutating func literalString() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while let c = cur {
            if c == "'" { i += 1; return String(out) }
            if c == "\n" { break }
            out.append(c); i += 1
        }
        throw fail("Unterminated string")
    }

    private mutating func basicString() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while let c = cur {
            if c == "\"" { i += 1; return String(out) }
            if c == "\n" { break }
            if c == "\\" { out.append(try escape()); continue }
            out.append(c); i += 1
        }
        throw fail("Unterminated string")
    }

    private mutating func multilineBasic() throws -> String {
        i += 3
        if cur == "\n" { i += 1 } else if cur == "\r", i + 1 < s.count, s[i + 1] == "\n" { i += 2 }
        var out = String.UnicodeScalarView()
        while let c = cur {
            if startsWith("\"\"\"") {
                i += 3
                // Up to two extra quotes belong to the content.
                var extra = 0
                while cur == "\"", extra < 2 { out.append("\""); i += 1; extra += 1 }
                return String(out)
            }
            if c == "\\" {
                // Line-ending backslash trims whitespace up to the next content.
                var j = i + 1
                while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
                if j < s.count, s[j] == "\n" || s[j] == "\r" {
                    i = j
                    while let w = cur, w == " " || w == "\t" || w == "\n" || w == "\r" { i += 1 }
                    continue
                }
                out.append(try escape()); continue
            }
            out.append(c); i += 1
        }
        throw fail("Unterminated string")
    }

    private mutating func multilineLiteral() throws -> String {
        i += 3
        if cur == "\n" { i += 1 } else if cur == "\r", i + 1 < s.count, s[i + 1] == "\n" { i += 2 }
        var out = String.UnicodeScalarView()
        while let c = cur {
            if startsWith("'''") {
                i += 3
                var extra = 0
                while cur == "'", extra < 2 { out.append("'"); i += 1; extra += 1 }
                return String(out)
            }
            out.append(c); i += 1
        }
        throw fail("Unterminated string")
    }

    private mutating func escape() throws -> Unicode.Scalar {
        i += 1
        guard let c = cur else { throw fail("Unterminated string") }
        i += 1
        switch c {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let n = c == "u" ? 4 : 8
            guard i + n <= s.count else { throw fail("Unterminated string") }
            var hex = String.UnicodeScalarView()
            hex.append(contentsOf: s[i..<(i + n)])
            i += n
            guard let v = UInt32(String(hex), radix: 16), let u = Unicode.Scalar(v) else {
                throw fail("Invalid hex value")
            }
            return u
        default:
            throw fail("Unescaped '\\' in a string")
        }
    }
}
