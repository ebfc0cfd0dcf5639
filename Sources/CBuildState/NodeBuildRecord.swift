import CBuildBasics
import Foundation
import GRDB

/// One attempt to bring a node up to date. Rows are only ever inserted as
/// `running` and then finished once; outputs are written only together with
/// a `succeeded`/`reused`/`fetched` state, so a crash can never leave a
/// partial output recorded as good.
public struct NodeBuildRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "node_build"

    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        case running, succeeded, reused, fetched, failed, interrupted
        /// Whether outputs of this build may be used.
        public var isGood: Bool { self == .succeeded || self == .reused || self == .fetched }
    }

    /// One input of a node as hashed for its key: a stable name ("spec",
    /// "features/ssh.toml", "snapshot"), its digest, and a human value for
    /// explanations ("portage-20261124", "packages: a b c").
    public struct Input: Codable, Sendable, Hashable {
        /// Enters the key. Role- and variant-neutral ("snapshot", "spec").
        public var name: String
        public var digest: String
        public var display: String?
        /// What explanations call it when it differs from `name` ("snapshot/stable").
        public var label: String?
        public init(name: String, digest: String, display: String? = nil, label: String? = nil) {
            self.name = name; self.digest = digest; self.display = display; self.label = label
        }
        public var shownName: String { label ?? name }
    }

    /// A file the node produced, relative to the build directory.
    public struct Output: Codable, Sendable, Hashable {
        public var path: String
        public var sha256: String
        public var size: Int64
        public init(path: String, sha256: String, size: Int64) {
            self.path = path; self.sha256 = sha256; self.size = size
        }
    }

    public var id: Int64?
    public var runId: String
    public var node: String
    public var key: String
    public var recipe: String
    public var inputs: [Input]
    public var outputs: [Output]
    public var state: State
    public var startedAt: Date
    public var endedAt: Date?
    public var duration: Double?
    public var logPath: String?
    public var message: String?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let node = Column(CodingKeys.node)
        public static let key = Column(CodingKeys.key)
        public static let state = Column(CodingKeys.state)
    }

    enum CodingKeys: String, CodingKey {
        case id, runId = "run_id", node, key, recipe, inputs, outputs, state
        case startedAt = "started_at", endedAt = "ended_at", duration, logPath = "log_path", message
    }

    public init(runId: String, node: String, key: String, recipe: String, inputs: [Input],
                outputs: [Output] = [], state: State, startedAt: Date, endedAt: Date? = nil,
                duration: Double? = nil, logPath: String? = nil, message: String? = nil) {
        self.runId = runId; self.node = node; self.key = key; self.recipe = recipe
        self.inputs = inputs; self.outputs = outputs; self.state = state
        self.startedAt = startedAt; self.endedAt = endedAt; self.duration = duration
        self.logPath = logPath; self.message = message
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Combined hash of the outputs, for early cutoff.
    public var outputDigest: String {
        let h = ContentHasher(.sha256)
        for o in outputs.sorted(by: { $0.path < $1.path }) { h.update("\(o.path)\0\(o.sha256)\0") }
        return h.finalize().description
    }
}
