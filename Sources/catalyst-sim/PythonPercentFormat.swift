import Foundation

/// Python's `format % mapping` operator, which catalyst applies to every
/// spec value on a key line and to every string in catalyst.conf
/// (`mobjs[1] % values` in catalyst/config.py, `conf_values[x] % conf_values`
/// in catalyst/main.py). Consequences a spec writer meets:
/// `%%` reads back as `%`; `%(key)s` is replaced by an earlier key's value;
/// a lone `%` raises ValueError, an unknown `%(key)s` raises KeyError, and
/// catalyst dies with a traceback (exit 1). Error texts are CPython 3.11's.
enum PythonPercentFormat {
    /// Formats `format` against `mapping` exactly as CPython's
    /// `PyUnicode_Format` does when the right-hand side is a dict.
    /// `unkeyedArgument` is what an unkeyed `%s` receives: the dict itself.
    static func format(_ format: String, mapping: PyDict, unkeyedArgumentRepr: String? = nil) throws -> String {
        let chars = Array(format.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        // CPython's argidx/arglen dance for a non-tuple argument: the first
        // spec that takes an argument gets it; an unkeyed spec after that
        // raises "not enough arguments"; a keyed spec always succeeds.
        var positionalAvailable = true
        while i < chars.count {
            let c = chars[i]
            if c != "%" { out.append(c); i += 1; continue }
            i += 1
            guard i < chars.count else { throw PythonException("ValueError", "incomplete format") }
            // Only a directly doubled `%%` is a literal percent sign.
            if chars[i] == "%" { out.append("%"); i += 1; continue }
            var keyedValue: PyValue?
            if chars[i] == "(" {
                var depth = 1
                var j = i + 1
                let keyStart = j
                while j < chars.count, depth > 0 {
                    if chars[j] == "(" { depth += 1 } else if chars[j] == ")" { depth -= 1 }
                    j += 1
                }
                guard depth == 0 else { throw PythonException("ValueError", "incomplete format key") }
                var keyView = String.UnicodeScalarView()
                keyView.append(contentsOf: chars[keyStart..<(j - 1)])
                let key = String(keyView)
                guard let v = mapping[key] else { throw PythonException("KeyError", PyString.repr(key)) }
                keyedValue = v
                i = j
            }
            // Flags.
            var leftAlign = false, zeroPad = false, plus = false, space = false, alt = false
            while i < chars.count, "-+ #0".unicodeScalars.contains(chars[i]) {
                switch chars[i] {
                case "-": leftAlign = true
                case "0": zeroPad = true
                case "+": plus = true
                case " ": space = true
                default: alt = true
                }
                i += 1
            }
            _ = alt
            // Width.
            var width = 0
            if i < chars.count, chars[i] == "*" {
                // '*' takes its own argument; with a dict that argument is the dict.
                throw PythonException("TypeError", keyedValue != nil || positionalAvailable ? "* wants int" : "not enough arguments for format string")
            }
            while i < chars.count, let d = digit(chars[i]) { width = width * 10 + d; i += 1 }
            // Precision.
            var precision: Int?
            if i < chars.count, chars[i] == "." {
                i += 1
                if i < chars.count, chars[i] == "*" {
                    throw PythonException("TypeError", keyedValue != nil || positionalAvailable ? "* wants int" : "not enough arguments for format string")
                }
                var p = 0
                while i < chars.count, let d = digit(chars[i]) { p = p * 10 + d; i += 1 }
                precision = p
            }
            if i < chars.count, "hlL".unicodeScalars.contains(chars[i]) { i += 1 }
            guard i < chars.count else { throw PythonException("ValueError", "incomplete format") }
            let conversion = chars[i]
            let conversionIndex = i
            i += 1

            // Fetch the argument.
            let arg: Argument
            if let keyedValue {
                arg = .value(keyedValue)
                positionalAvailable = false
            } else if positionalAvailable {
                arg = .mapping(unkeyedArgumentRepr ?? mapping.pyRepr)
                positionalAvailable = false
            } else {
                throw PythonException("TypeError", "not enough arguments for format string")
            }

            var text: String
            switch conversion {
            case "s", "r", "a":
                switch arg {
                case let .value(v):
                    text = conversion == "s" ? v.pyStr : (conversion == "r" ? v.pyRepr : ascii(v.pyRepr))
                case let .mapping(repr):
                    text = conversion == "a" ? ascii(repr) : repr
                }
                if let precision { text = String(text.unicodeScalars.prefix(precision).map(Character.init)) }
                text = pad(text, width: width, left: leftAlign, zero: false)
            case "d", "i", "u", "x", "X", "o":
                let what = "diu".unicodeScalars.contains(conversion) ? "a real number" : "an integer"
                guard case let .value(v) = arg else {
                    throw PythonException("TypeError", "%\(conversion) format: \(what) is required, not dict")
                }
                let number: Int
                switch v {
                case let .int(n): number = n
                case let .bool(b): number = b ? 1 : 0
                case let .float(d) where "diu".unicodeScalars.contains(conversion) && d.isFinite: number = Int(d)
                default:
                    throw PythonException("TypeError", "%\(conversion) format: \(what) is required, not \(v.pyTypeName)")
                }
                var digits: String
                switch conversion {
                case "x": digits = String(abs(number), radix: 16)
                case "X": digits = String(abs(number), radix: 16).uppercased()
                case "o": digits = String(abs(number), radix: 8)
                default: digits = String(abs(number))
                }
                if let precision, digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
                let sign = number < 0 ? "-" : (plus ? "+" : (space ? " " : ""))
                text = signPad(sign: sign, digits: digits, width: width, left: leftAlign, zero: zeroPad)
            case "e", "E", "f", "F", "g", "G":
                guard case let .value(v) = arg else {
                    throw PythonException("TypeError", "must be real number, not dict")
                }
                let number: Double
                switch v {
                case let .int(n): number = Double(n)
                case let .float(d): number = d
                case let .bool(b): number = b ? 1 : 0
                default: throw PythonException("TypeError", "must be real number, not \(v.pyTypeName)")
                }
                let formatted = String(format: "%.\(precision ?? 6)\(Character(conversion))", abs(number))
                let sign = number < 0 ? "-" : (plus ? "+" : (space ? " " : ""))
                text = signPad(sign: sign, digits: formatted, width: width, left: leftAlign, zero: zeroPad)
            case "c":
                guard case let .value(v) = arg else {
                    throw PythonException("TypeError", "%c requires int or char")
                }
                switch v {
                case let .int(n):
                    guard let u = Unicode.Scalar(UInt32(clamping: n)) else {
                        throw PythonException("OverflowError", "%c arg not in range(0x110000)")
                    }
                    text = String(Character(u))
                case let .str(s) where s.unicodeScalars.count == 1:
                    text = s
                default:
                    throw PythonException("TypeError", "%c requires int or char")
                }
                text = pad(text, width: width, left: leftAlign, zero: false)
            default:
                let hex = String(conversion.value, radix: 16)
                let shown = (32..<127).contains(conversion.value) ? String(Character(conversion)) : "?"
                throw PythonException("ValueError", "unsupported format character '\(shown)' (0x\(hex)) at index \(conversionIndex)")
            }
            out.append(contentsOf: text.unicodeScalars)
        }
        return String(out)
    }

    /// What a conversion formats: a keyed value, or (unkeyed) the mapping itself.
    private enum Argument {
        case value(PyValue)
        case mapping(String)
    }

    private static func digit(_ u: Unicode.Scalar) -> Int? {
        (48...57).contains(u.value) ? Int(u.value - 48) : nil
    }

    private static func pad(_ s: String, width: Int, left: Bool, zero: Bool) -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        let fill = String(repeating: " ", count: width - n)
        return left ? s + fill : fill + s
    }

    private static func signPad(sign: String, digits: String, width: Int, left: Bool, zero: Bool) -> String {
        let n = sign.count + digits.count
        guard width > n else { return sign + digits }
        if left { return sign + digits + String(repeating: " ", count: width - n) }
        if zero { return sign + String(repeating: "0", count: width - n) + digits }
        return String(repeating: " ", count: width - n) + sign + digits
    }

    private static func ascii(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x80 { out.unicodeScalars.append(u) }
            else if u.value <= 0xff { out += String(format: "\\x%02x", u.value) }
            else if u.value <= 0xffff { out += String(format: "\\u%04x", u.value) }
            else { out += String(format: "\\U%08x", u.value) }
        }
        return out
    }
}
