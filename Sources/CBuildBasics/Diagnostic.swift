/// A message for the user that is not an error ending the command: a
/// warning ("state database rebuilt"), a note ("directory moved; re-rendering").
public struct Diagnostic: Sendable, Hashable, Codable {
    public enum Severity: String, Sendable, Codable { case note, warning, error }
    public var severity: Severity
    public var message: String
    public var location: SourceLocation?
    public var hint: String?

    public init(_ severity: Severity, _ message: String, location: SourceLocation? = nil, hint: String? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
        self.hint = hint
    }
}
