import CBuildBasics

/// Why a report could not be written, with its documented exit status.
public enum ReportError: UserError, Equatable {
    /// Graphviz is not installed: nothing is written.
    case dotMissing
    case dotFailed(String)
    /// `--nightly FILE` is missing or not a `nightly --json-report` file.
    case badNightly(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .dotMissing, .badNightly: return .usage
        case .dotFailed, .cannotWrite: return .nodeFailed
        }
    }

    public var message: String {
        switch self {
        case .dotMissing: return "cbuild report needs Graphviz's `dot` to lay out the graph, and it is not in PATH"
        case let .dotFailed(why): return "dot could not lay out the graph: \(why)"
        case let .badNightly(path, reason): return "\(path): not a nightly report (\(reason))"
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        }
    }

    public var hint: String? {
        switch self {
        case .dotMissing: return "install the Debian package graphviz (apt-get install graphviz)"
        case .badNightly: return "give the file `cbuild nightly --json-report FILE` wrote"
        default: return nil
        }
    }
}
