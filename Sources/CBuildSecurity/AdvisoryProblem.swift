/// Why one advisory file was skipped: the file (relative to the snapshot's
/// tree, `metadata/glsa/glsa-202611-01.xml`), the line when the XML parser
/// knows it, and what was wrong.
public struct AdvisoryProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String
    public init(file: String, line: Int? = nil, message: String) {
        self.file = file; self.line = line; self.message = message
    }
    public var description: String { file + (line.map { ":\($0)" } ?? "") + ": " + message }
}

extension AdvisoryProblem: Error {}
