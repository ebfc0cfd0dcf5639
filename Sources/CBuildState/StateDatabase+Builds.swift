import CBuildBasics
import Foundation
import GRDB

/// Node-build operations: each is one transaction, so a crash between two
/// calls leaves either the old or the new fact, never half of one.
extension StateDatabase {
    /// Records the start of an attempt (state `running`) and returns its row id.
    public func beginBuild(_ record: NodeBuildRecord) throws -> Int64 {
        var r = record
        r.state = .running
        r.outputs = []
        try write { db in try r.insert(db) }
        return r.id!
    }

    /// Finishes an attempt. Outputs are stored only with a good state; a good
    /// attempt also becomes the node's current build, in the same transaction.
    public func finishBuild(id: Int64, state: NodeBuildRecord.State, outputs: [NodeBuildRecord.Output],
                            endedAt: Date, message: String? = nil) throws {
        // Only the columns that change: fetching and rewriting the whole record
        // decoded and encoded its inputs again, once per action of a build.
        // The outputs are encoded as the record encodes them (readers rely on it).
        let stored = try NodeBuildRecord.databaseJSONEncoder(for: NodeBuildRecord.CodingKeys.outputs.rawValue)
            .encode(state.isGood ? outputs : [])
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT node, started_at FROM node_build WHERE id = ?", arguments: [id]),
                  let node = row["node"] as String?, let startedAt = row["started_at"] as Date? else { return }
            try db.execute(sql: "UPDATE node_build SET state = ?, outputs = ?, ended_at = ?, duration = ?, message = ? WHERE id = ?",
                           arguments: [state.rawValue, String(decoding: stored, as: UTF8.self), endedAt,
                                       endedAt.timeIntervalSince(startedAt), message, id])
            if state.isGood {
                try db.execute(sql: "INSERT OR REPLACE INTO node_current(node, build_id) VALUES (?, ?)",
                               arguments: [node, id])
            }
        }
    }

    /// Records a finished good build in one step (derived nodes, reuse).
    @discardableResult
    public func recordBuild(_ record: NodeBuildRecord) throws -> Int64 {
        precondition(record.state.isGood)
        return try write { db in
            var r = record
            try r.insert(db)
            try db.execute(sql: "INSERT OR REPLACE INTO node_current(node, build_id) VALUES (?, ?)",
                           arguments: [r.node, r.id!])
            return r.id!
        }
    }

    /// Makes an earlier good build current again (rollback, promotion, reuse).
    public func setCurrent(node: String, buildId: Int64) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO node_current(node, build_id) VALUES (?, ?)",
                           arguments: [node, buildId])
        }
    }

    /// The build whose outputs are current for `node`.
    public func currentBuild(node: String) throws -> NodeBuildRecord? {
        try read { db in
            try NodeBuildRecord.fetchOne(db, sql: """
                SELECT node_build.* FROM node_current JOIN node_build ON node_build.id = node_current.build_id
                WHERE node_current.node = ?
                """, arguments: [node])
        }
    }

    /// Every current build, keyed by node.
    public func currentBuilds() throws -> [String: NodeBuildRecord] {
        try read { db in
            let rows = try NodeBuildRecord.fetchAll(db, sql: """
                SELECT node_build.* FROM node_current JOIN node_build ON node_build.id = node_current.build_id
                """)
            return Dictionary(rows.map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Every current build without its per-input hashes, keyed by node: all
    /// a no-op decision needs (see `NodeBuildHead`).
    public func currentBuildHeads() throws -> [String: NodeBuildHead] {
        try heads(from: "node_current JOIN node_build ON node_build.id = node_current.build_id")
    }

    /// The newest attempt of every node that has one, whatever its state,
    /// without per-input hashes: one query for `status`'s whole table.
    public func lastAttemptHeads() throws -> [String: NodeBuildHead] {
        try heads(from: "(SELECT MAX(id) AS last FROM node_build GROUP BY node) JOIN node_build ON node_build.id = last")
    }

    /// Heads of the `node_build` rows `from` selects, with their outputs
    /// read from the column's JSON by `OutputsJSON` (SQLite's `json_each`
    /// over them cost as much as the rest of the query; `JSONDecoder` when
    /// the text has a shape that reader does not take).
    private func heads(from source: String) throws -> [String: NodeBuildHead] {
        try read { db in
            var out: [String: NodeBuildHead] = [:]
            let sql = "SELECT \(NodeBuildHead.columns), node_build.outputs FROM \(source) ORDER BY node_build.id"
            try RawRows.each(db, sql) { row in
                var head = try NodeBuildHead(row: row, sql: sql)
                guard out[head.node] == nil else { return }
                head.outputs = try Self.outputs(row.utf8(Int32(NodeBuildHead.columnCount)), sql: sql, id: head.id)
                out[head.node] = head
            }
            return out
        }
    }

    static func outputs(_ text: UnsafeBufferPointer<UInt8>?, sql: String, id: Int64) throws -> [NodeBuildRecord.Output] {
        guard let text else { return [] }
        if let parsed = OutputsJSON.parse(text) { return parsed }
        do {
            return try JSONDecoder().decode([NodeBuildRecord.Output].self, from: Data(text))
        } catch {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "node_build row \(id): outputs are not a list of outputs (\(error))", sql: sql)
        }
    }

    /// Good builds with this key on any node (a fleet variant and its plain
    /// target share keys), newest first.
    public func goodBuilds(key: String) throws -> [NodeBuildRecord] {
        try read { db in
            try NodeBuildRecord.fetchAll(db, sql: """
                SELECT * FROM node_build WHERE key = ? AND state IN ('succeeded','reused','fetched')
                ORDER BY id DESC
                """, arguments: [key])
        }
    }

    /// The newest attempt of a node, whatever its state.
    /// The display of input `name` of every node's current build, in one
    /// query (`status` shows which catalyst built each output).
    public func currentInputDisplays(named name: String) throws -> [String: String] {
        try read { db in
            var out: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT node_build.node, json_extract(i.value, '$.display')
                FROM node_current JOIN node_build ON node_build.id = node_current.build_id, json_each(node_build.inputs) AS i
                WHERE json_extract(i.value, '$.name') = ?
                """, arguments: [name])
            while let row = try rows.next() {
                if let node: String = row[0], let display: String = row[1] { out[node] = display }
            }
            return out
        }
    }

    /// Every build whose outputs may be used (succeeded, reused, fetched), newest first.
    public func allGoodBuilds() throws -> [NodeBuildRecord] {
        try read { db in
            try NodeBuildRecord.fetchAll(db, sql: """
                SELECT * FROM node_build WHERE state IN ('succeeded','reused','fetched') ORDER BY id DESC
                """)
        }
    }

    /// Every node that has at least one attempt recorded (one pass over
    /// the `node_build_node` index): lets a first build skip asking for
    /// the last attempt of each node that never had one.
    public func nodesWithAttempts() throws -> Set<String> {
        try read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT node FROM node_build")) }
    }

    public func lastAttempt(node: String) throws -> NodeBuildRecord? {
        try read { db in
            try NodeBuildRecord.filter(NodeBuildRecord.Columns.node == node)
                .order(NodeBuildRecord.Columns.id.desc).fetchOne(db)
        }
    }

    /// Attempts, newest first; all nodes when `node` is nil.
    public func history(node: String?, limit: Int = 50) throws -> [NodeBuildRecord] {
        try read { db in
            var q = NodeBuildRecord.all()
            if let node { q = q.filter(NodeBuildRecord.Columns.node == node) }
            return try q.order(NodeBuildRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }

    /// Attempts left `running` by a process that died (kill -9, power loss)
    /// become `interrupted`. Call only while holding the exclusive lock.
    @discardableResult
    public func recoverAbandonedBuilds(now: Date) throws -> [NodeBuildRecord] {
        try write { db in
            // A literal, not a bound value, so the partial index of migration v2 serves it.
            let rows = try NodeBuildRecord.fetchAll(db, sql: "SELECT * FROM node_build WHERE state = 'running'")
            for var r in rows {
                r.state = .interrupted
                r.endedAt = now
                r.message = "abandoned: the cbuild process running it ended without finishing"
                try r.update(db)
            }
            return rows
        }
    }

    /// Forgets nodes: their current pointers and their build rows.
    public func forget(nodes: [String]) throws {
        try write { db in
            for n in nodes {
                try db.execute(sql: "DELETE FROM node_current WHERE node = ?", arguments: [n])
                try db.execute(sql: "DELETE FROM node_build WHERE node = ?", arguments: [n])
            }
        }
    }

    /// Whether any other node's build row references the given output path
    /// (so `clean` keeps files shared by a variant node).
    public func currentNodesUsing(path: String) throws -> [String] {
        try currentBuildHeads().values.filter { $0.outputs.contains { $0.path == path } }.map(\.node).sorted()
    }

    public func meta(_ key: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }
}
