/// A parsed TOML value as plain Sendable Swift data. TOMLKit's values are
/// reference types over a C++ document and forget the order of keys; this
/// tree keeps table entries in file order (see `TOMLDocument`).
indirect enum TOMLNode: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// Dates and times, kept as their TOML text; no cbuild key takes one.
    case dateTime(String)
    case array([TOMLNode])
    case table([TOMLEntry])

    /// "a string", "an integer", … for "expected X, found Y" messages.
    var kindDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a floating-point number"
        case .boolean: return "a boolean"
        case .dateTime: return "a date/time"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

/// One key of a TOML table and its value, in the order the file wrote them.
struct TOMLEntry: Sendable, Equatable {
    var key: String
    var value: TOMLNode
}
