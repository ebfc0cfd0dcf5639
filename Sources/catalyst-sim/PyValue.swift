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
