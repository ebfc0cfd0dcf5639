import CBuildBasics

/// Errors of the engine, each carrying the node it is about.
public enum GraphError: UserError, Equatable {
    case duplicateNode(NodeID)
    case unknownDependency(node: NodeID, dependency: NodeID)
    case unknownNode(String, suggestion: String?)
    /// The whole cycle, first node repeated at the end.
    case cycle([NodeID])
    /// A dependency of a node failed or was skipped; the node cannot run.
    case dependencyFailed(node: NodeID, dependency: NodeID)
    case missingOutput(node: NodeID, path: String)
    /// A rule failed; message from the rule.
    case ruleFailed(node: NodeID, message: String)
    case interrupted(node: NodeID)
    /// `--no-deps`: an action input is built neither here nor in the cache.
    case inputNotAvailable(node: NodeID, input: NodeID)

    public var exitStatus: ExitStatus {
        switch self {
        case .duplicateNode, .unknownDependency, .unknownNode, .cycle, .inputNotAvailable: return .usage
        case .dependencyFailed, .missingOutput, .ruleFailed: return .nodeFailed
        case .interrupted: return .interrupted
        }
    }

    public var message: String {
        switch self {
        case let .duplicateNode(n): return "node \(n) is defined twice"
        case let .unknownDependency(n, d): return "node \(n) depends on unknown node \(d)"
        case let .unknownNode(n, _): return "unknown node '\(n)'"
        case let .cycle(c): return "dependency cycle: " + c.map(\.name).joined(separator: " -> ")
        case let .dependencyFailed(n, d): return "\(n) not built: its input \(d) failed"
        case let .missingOutput(n, p): return "\(n): the run succeeded but its output \(p) is missing"
        case let .ruleFailed(n, m): return "\(n): \(m)"
        case let .interrupted(n): return "\(n): interrupted"
        case let .inputNotAvailable(n, i): return "\(n): its input \(i) is built neither here nor in the cache"
        }
    }

    public var hint: String? {
        switch self {
        case let .unknownNode(_, s?): return "did you mean '\(s)'? (`cbuild targets` lists them)"
        case .unknownNode: return "`cbuild targets` lists the targets, variants, fleets and images"
        case let .inputNotAvailable(_, i): return "build it first (`cbuild build \(i) --no-deps`), or build without --no-deps"
        default: return nil
        }
    }
}

/// Thrown by rules when their work fails; the engine records the message
/// and, when given, the log path.
public struct RuleFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var logPath: String?
    public var interrupted: Bool
    public init(_ message: String, logPath: String? = nil, interrupted: Bool = false) {
        self.message = message; self.logPath = logPath; self.interrupted = interrupted
    }
    public var description: String { message }
}
