/// Why one mirror could not deliver one file. These never reach the user
/// directly: the mirror loop collects them, fails over to the next mirror,
/// and reports them in `ArtifactError.notFound` when every mirror failed.
public enum DownloadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// 404/410, or a missing file under a `file://` mirror: the mirror lags or never had it.
    case notFound
    /// Nothing answered: connection refused, host unknown, timeout before a response.
    case unreachable(String)
    /// The transfer started and broke off; the partial file is kept for a resume.
    case interrupted(String)
    /// Another HTTP status (5xx, 403, …).
    case httpStatus(Int)
    /// The server's answer to a `Range` request cannot continue the partial file.
    case rangeRejected(String)
    /// Writing the local file failed.
    case localIO(String)

    public var description: String {
        switch self {
        case .notFound: return "not on mirror"
        case let .unreachable(reason): return "unreachable (\(reason))"
        case let .interrupted(reason): return "download interrupted (\(reason)); will resume"
        case let .httpStatus(code): return "HTTP \(code)"
        case let .rangeRejected(reason): return "resume refused (\(reason))"
        case let .localIO(reason): return reason
        }
    }
}
