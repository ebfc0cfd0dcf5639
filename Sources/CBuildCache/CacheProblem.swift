/// Why one cache entry or operation could not be used. Never ends a
/// command: the engine builds locally and the message becomes a warning
/// that names the entry.
public enum CacheProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The record could not be signed (gpg failed, no key).
    case signing(String)
    /// A signature check could not run or failed.
    case verification(String)
    /// A local file could not be read or written.
    case local(String)

    public var description: String {
        switch self {
        case let .signing(m): return "cannot sign the record: \(m)"
        case let .verification(m): return m
        case let .local(m): return m
        }
    }
}
