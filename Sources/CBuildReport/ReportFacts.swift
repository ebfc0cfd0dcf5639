import CBuildGraph
import CBuildProject
import CBuildState
import Foundation

/// Everything a report is made from, already read from the workspace: the
/// plan's decision for each node, the recorded builds, role history, the
/// nightly's result. `ReportPage.build` turns this into the page without
/// touching the world, so tests give it facts they write by hand.
public struct ReportFacts: Sendable {
    /// The engine's decision for one node, as `Engine.plan` made it.
    public struct Planned: Sendable {
        public var node: String
        public var kind: RuleKind
        public var verdict: Verdict
        public var outcome: NodeResult.Outcome
        public var reasons: [Reason]
        public var key: String?
        /// Why it cannot run, when the plan could not prepare it (a missing input).
        public var message: String?
        public var dependencies: [String]

        public init(node: String, kind: RuleKind, verdict: Verdict, outcome: NodeResult.Outcome = .clean,
                    reasons: [Reason] = [], key: String? = nil, message: String? = nil, dependencies: [String] = []) {
            self.node = node; self.kind = kind; self.verdict = verdict; self.outcome = outcome
            self.reasons = reasons; self.key = key; self.message = message; self.dependencies = dependencies
        }

        public init(_ r: NodeResult, dependencies: [String]) {
            self.init(node: r.node.name, kind: r.explanation.kind, verdict: r.explanation.verdict, outcome: r.outcome,
                      reasons: r.explanation.reasons, key: r.key ?? r.explanation.key, message: r.message,
                      dependencies: dependencies)
        }

        var isFromCache: Bool { reasons.contains { if case .fromCache = $0 { return true } else { return false } } }
    }

    public var project: String
    public var generatedAt: Date
    /// In dependency order (inputs first), as the graph's closure gives them.
    public var nodes: [Planned]
    /// Each node's current build (`node_current`).
    public var current: [String: NodeBuildHead]
    /// Each node's newest attempt, whatever its state.
    public var lastAttempt: [String: NodeBuildHead]
    /// Which catalyst built each current output (`catalyst --version`).
    public var catalyst: [String: String]
    /// Role moves of every snapshot and seed role, any order.
    public var roleMoves: [RoleMoveRecord]
    /// Build attempts (for the builds made on each date of the timeline).
    public var attempts: [NodeBuildHead]
    /// The last lines of a failed attempt's log, by node.
    public var logTails: [String: [String]]
    /// Where a failed attempt's log was copied, relative to the report's directory.
    public var copiedLogs: [String: String]
    public var nightly: NightlyReport?
    /// Security data by node; empty unless a `ReportSecuritySource` supplied some.
    public var security: [String: NodeSecurity]

    public init(project: String, generatedAt: Date, nodes: [Planned], current: [String: NodeBuildHead] = [:],
                lastAttempt: [String: NodeBuildHead] = [:], catalyst: [String: String] = [:],
                roleMoves: [RoleMoveRecord] = [], attempts: [NodeBuildHead] = [], logTails: [String: [String]] = [:],
                copiedLogs: [String: String] = [:], nightly: NightlyReport? = nil, security: [String: NodeSecurity] = [:]) {
        self.project = project; self.generatedAt = generatedAt; self.nodes = nodes; self.current = current
        self.lastAttempt = lastAttempt; self.catalyst = catalyst; self.roleMoves = roleMoves; self.attempts = attempts
        self.logTails = logTails; self.copiedLogs = copiedLogs; self.nightly = nightly; self.security = security
    }
}
