/// HTML escaping: the one way any value from configuration, state, logs
/// or advisories reaches the page. Text and attribute values get the same
/// treatment (`&`, `<`, `>`, `"`, `'`), and control characters other than
/// tab and newline (catalyst logs carry terminal escapes) become U+FFFD, so
/// nothing a log contains can open an element or end an attribute.
public enum HTML {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0x7F { out += "\u{FFFD}" } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// Terminal colour and cursor sequences (`ESC [ … m`) removed, for log lines.
    public static func strippingTerminalCodes(_ s: String) -> String {
        guard s.contains("\u{1B}") else { return s }
        var out = String.UnicodeScalarView()
        var it = s.unicodeScalars.makeIterator()
        while let u = it.next() {
            guard u == "\u{1B}" else { out.append(u); continue }
            guard let n = it.next() else { break }
            if n == "[" {
                while let c = it.next(), !(("@"..."~").contains(c)) {}
            }
        }
        return String(out)
    }

    /// A percent-encoded relative URL for a file beside the report.
    public static func href(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            let c = Character(Unicode.Scalar(b))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~/".contains(c)) { out.append(c) }
            else { out += String(format: "%%%02X", b) }
        }
        return out
    }
}
