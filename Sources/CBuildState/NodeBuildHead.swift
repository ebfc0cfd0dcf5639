import Foundation
import GRDB

/// A build record without its per-input hashes: what a no-op decision and
/// `status` read for every node. Decoding the inputs (a dozen values per
/// node, JSON) was most of the cost of reading every current build, and
/// they are needed only when a key differs, to say which input changed:
/// then `StateDatabase.currentBuild(node:)` reads the whole record.
public struct NodeBuildHead: Sendable, Equatable {
    public var id: Int64
    public var node: String
    public var key: String
    public var recipe: String
    public var outputs: [NodeBuildRecord.Output]
    public var state: NodeBuildRecord.State
    public var startedAt: Date
    public var duration: Double?
    public var logPath: String?
    public var message: String?

    public init(id: Int64, node: String, key: String, recipe: String, outputs: [NodeBuildRecord.Output],
                state: NodeBuildRecord.State, startedAt: Date, duration: Double? = nil, logPath: String? = nil,
                message: String? = nil) {
        self.id = id; self.node = node; self.key = key; self.recipe = recipe; self.outputs = outputs
        self.state = state; self.startedAt = startedAt; self.duration = duration; self.logPath = logPath
        self.message = message
    }

    /// The head of a full record (`id` 0 when it was never stored).
    public init(_ record: NodeBuildRecord) {
        self.init(id: record.id ?? 0, node: record.node, key: record.key, recipe: record.recipe, outputs: record.outputs,
                  state: record.state, startedAt: record.startedAt, duration: record.duration, logPath: record.logPath,
                  message: record.message)
    }

    /// The columns `init(row:)` reads, in its order, from `node_build`.
    static let columns = "node_build.id, node_build.node, node_build.key, node_build.recipe, "
        + "node_build.state, node_build.started_at, node_build.duration, node_build.log_path, node_build.message"
    static let columnCount = 9

    /// Decodes a row of `columns` by position, without outputs (the query
    /// adds them), straight from SQLite's columns (see `RawRows`).
    init(row: RawRows, sql: String) throws {
        guard let stateText = row.string(4), let state = NodeBuildRecord.State(rawValue: stateText) else {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "node_build.state '\(row.string(4) ?? "NULL")' is not a state", sql: sql)
        }
        guard let node = row.string(1), let key = row.string(2), let recipe = row.string(3), let started = row.date(5) else {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "node_build row \(row.int64(0)) lacks a node, key, recipe or start time", sql: sql)
        }
        self.init(id: row.int64(0), node: node, key: key, recipe: recipe, outputs: [], state: state,
                  startedAt: started, duration: row.double(6), logPath: row.string(7), message: row.string(8))
    }
}
