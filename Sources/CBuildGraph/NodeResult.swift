import CBuildState
import Foundation

/// What happened to a node in a build (or would happen, in a dry run).
public struct NodeResult: Sendable, Codable {
    public enum Outcome: String, Sendable, Codable {
        /// Already up to date.
        case clean
        /// Derived node rendered anew (its content changed).
        case updated
        /// Action node ran and succeeded.
        case built
        /// An earlier intact build with the same key was made current.
        case reused
        /// Action node's outputs downloaded from the shared cache.
        case fetched
        /// Dry run: would update/build/reuse.
        case wouldRun = "would-run"
        case failed
        case interrupted
        /// Not attempted: a dependency failed.
        case skipped
    }
    public var node: NodeID
    public var outcome: Outcome
    public var explanation: Explanation
    public var seconds: Double
    public var message: String?
    /// What to do about a failure caused by bad input (the error's hint).
    public var hint: String? = nil
    public var logPath: String?
    public var outputs: [NodeOutput]
    public var key: String?
    /// The identity dependents hash (nil when unknown: failed, or pending in a plan).
    public var outputDigest: String? = nil
    public var display: String? = nil
}

/// The result of a build or dry run over a set of requested nodes.
public struct BuildSummary: Sendable, Codable {
    public var requested: [NodeID]
    public var results: [NodeResult]
    public var interrupted: Bool

    public var failed: [NodeResult] { results.filter { $0.outcome == .failed } }
    public func count(_ o: NodeResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
    public func result(_ node: NodeID) -> NodeResult? { results.first { $0.node == node } }
    /// Every node was up to date: nothing ran, was re-rendered, reused, fetched, failed or
    /// would run — the only runs a no-op record is saved for.
    public var isNoOp: Bool { !interrupted && results.allSatisfy { $0.outcome == .clean } }
}
