/// Why one request to the cache server did not succeed. `isOutage` errors
/// (nothing listening, a timeout, a dropped connection, a 5xx) mean the
/// cache is down or slow: the command stops using it after one warning.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection (refused, unknown host, network down).
    case unreachable(String)
    /// No byte moved for the configured timeout.
    case timedOut
    /// The connection broke mid-transfer.
    case connectionLost(String)
    /// The server answered with a status the request cannot use.
    case httpStatus(Int)
    /// The answer did not parse as HTTP/1.1.
    case malformedResponse(String)
    /// Reading or writing a local file failed.
    case localIO(String)

    public var isOutage: Bool {
        switch self {
        case .unreachable, .timedOut, .connectionLost, .malformedResponse: return true
        case let .httpStatus(code): return code >= 500
        case .localIO: return false
        }
    }

    public var description: String {
        switch self {
        case let .unreachable(why): return "unreachable (\(why))"
        case .timedOut: return "timed out"
        case let .connectionLost(why): return "connection lost (\(why))"
        case let .httpStatus(code): return "HTTP \(code)"
        case let .malformedResponse(why): return "malformed response (\(why))"
        case let .localIO(why): return why
        }
    }
}
