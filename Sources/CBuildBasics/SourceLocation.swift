/// Where in the build directory a problem is: a file relative to the build
/// directory, optionally a 1-based line and column, and the TOML key or spec key.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var key: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, key: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
    }

    /// `targets/workstation.toml:3:1` — the form editors and compilers use.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let line = line, let column { _ = line; s += ":\(column)" }
        return s
    }
}
