/// A value as catalyst's Python code holds it after parsing a spec or a
/// catalyst.conf: a string, a list, None, or (from TOML) a number or boolean.
/// `str()` and `repr()` follow Python's rules, because catalyst substitutes
/// values into other values with `%` formatting, which calls them.
enum PyValue: Equatable, Sendable {
    case str(String)
    case list([PyValue])
    case none
    case int(Int)
    case float(Double)
    case bool(Bool)

    /// A list of plain strings, the shape of a multi-word spec value.
    static func strings(_ items: [String]) -> PyValue { .list(items.map { .str($0) }) }

    /// The string, when this is one.
    var string: String? { if case let .str(s) = self { return s } else { return nil } }

    /// Python truthiness: empty strings and lists, None, 0 and False are false.
    var isTruthy: Bool {
        switch self {
        case let .str(s): return !s.isEmpty
        case let .list(l): return !l.isEmpty
        case .none: return false
        case let .int(i): return i != 0
        case let .float(d): return d != 0
        case let .bool(b): return b
        }
    }

    /// The words of a value the way catalyst's targets read them: a string is
    /// split on whitespace, a list is taken as it is, None is empty.
    var words: [String] {
        switch self {
        case let .str(s): return PyString.split(s)
        case let .list(l): return l.map(\.pyStr)
        case .none: return []
        default: return [pyStr]
        }
    }

    /// The value as a list the way targets coerce a single string into a
    /// one-element list (`[value]`), not split.
    var asList: [String] {
        switch self {
        case let .str(s): return [s]
        case let .list(l): return l.map(\.pyStr)
        case .none: return []
        default: return [pyStr]
        }
    }

    /// Python's `str(value)`.
    var pyStr: String {
        switch self {
        case let .str(s): return s
        default: return pyRepr
        }
    }

    /// Python's `repr(value)`.
    var pyRepr: String {
        switch self {
        case let .str(s): return PyString.repr(s)
        case let .list(l): return "[" + l.map(\.pyRepr).joined(separator: ", ") + "]"
        case .none: return "None"
        case let .int(i): return String(i)
        case let .float(d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            return "\(d)"
        case let .bool(b): return b ? "True" : "False"
        }
    }

    /// The Python type name, for simulated TypeError messages.
    var pyTypeName: String {
        switch self {
        case .str: return "str"
        case .list: return "list"
        case .none: return "NoneType"
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        }
    }
}

/// An insertion-ordered dictionary of values, like a Python dict: assigning an
/// existing key keeps its original position.
struct PyDict: Sendable, Equatable {
    private(set) var keys: [String] = []
    private var storage: [String: PyValue] = [:]

    init() {}

    subscript(key: String) -> PyValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage[key] == nil { keys.append(key) }
                storage[key] = newValue
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    func contains(_ key: String) -> Bool { storage[key] != nil }

    var entries: [(key: String, value: PyValue)] { keys.map { ($0, storage[$0]!) } }

    var isEmpty: Bool { keys.isEmpty }

    /// Python's `repr(dict)`.
    var pyRepr: String {
        "{" + entries.map { PyString.repr($0.key) + ": " + $0.value.pyRepr }.joined(separator: ", ") + "}"
    }
}

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
