/// Python's string primitives that catalyst's parsing relies on.
enum PyString {
    /// Python's `str.isspace()` for one scalar (includes the ASCII separators
    /// 0x1c–0x1f that Unicode's White_Space property leaves out).
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        if (0x1c...0x1f).contains(u.value) { return true }
        return u.properties.isWhitespace
    }

    /// `str.strip()` without arguments.
    static func strip(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, isSpace(scalars[lo]) { lo += 1 }
        while hi > lo, isSpace(scalars[hi - 1]) { hi -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }

    /// `str.rstrip()` without arguments.
    static func rstrip(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var hi = scalars.count
        while hi > 0, isSpace(scalars[hi - 1]) { hi -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[0..<hi])
        return String(out)
    }

    /// `str.strip(chars)` with an explicit character set.
    static func strip(_ s: String, characters: Set<Unicode.Scalar>) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, characters.contains(scalars[lo]) { lo += 1 }
        while hi > lo, characters.contains(scalars[hi - 1]) { hi -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }

    /// `str.split()` without arguments: runs of whitespace separate words,
    /// no empty words.
    static func split(_ s: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isSpace(u) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(u)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// Python's `repr(str)`: single quotes unless the text holds a single
    /// quote and no double quote; backslash escapes for control characters.
    static func repr(_ s: String) -> String {
        let useDouble = s.contains("'") && !s.contains("\"")
        let quote: Unicode.Scalar = useDouble ? "\"" : "'"
        var out = String(quote)
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\" + String(quote)
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    out += "\\x" + hex2(u.value)
                } else if (0x80...0x9f).contains(u.value) {
                    out += "\\x" + hex2(u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.unicodeScalars.append(quote)
        return out
    }

    private static func hex2(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return s.count < 2 ? "0" + s : s
    }
}
