import Testing
import Foundation
import GRDB
@testable import CBuildState
import CBuildBasics
import CBuildTestSupport

/// The bulk reads a no-op build and `status` make: every current build and
/// every node's newest attempt, in one query each, without per-input hashes.
@Suite struct StateDatabaseTests {
    private func record(_ node: String, key: String, state: NodeBuildRecord.State = .succeeded,
                        outputs: [NodeBuildRecord.Output] = [], at seconds: Double = 1_800_000_000) -> NodeBuildRecord {
        NodeBuildRecord(runId: "run-\(node)", node: node, key: key, recipe: "test@1",
                        inputs: [.init(name: "spec", digest: "sha256:" + String(repeating: "a", count: 64), display: "stage1")],
                        outputs: outputs, state: state, startedAt: Date(timeIntervalSince1970: seconds),
                        endedAt: Date(timeIntervalSince1970: seconds + 2), duration: 2, logPath: "/logs/\(node).log",
                        message: "made \(node)")
    }

    @Test func currentHeadsCarryEverythingButTheInputs() throws {
        let db = try StateDatabase()
        let out = NodeBuildRecord.Output(path: "builds/a.tar.xz", sha256: "sha256:" + String(repeating: "b", count: 64), size: 42)
        try db.recordBuild(record("stage/a", key: "k1", outputs: [out], at: 1_800_000_000.25))
        try db.recordBuild(record("stage/a", key: "k2", outputs: [out]))
        try db.recordBuild(record("spec/b", key: "k3", state: .reused))

        let heads = try db.currentBuildHeads()
        #expect(Set(heads.keys) == ["stage/a", "spec/b"])
        for (node, head) in heads {
            let full = try #require(try db.currentBuild(node: node))
            #expect(head == NodeBuildHead(full))
        }
        #expect(heads["stage/a"]?.key == "k2")
        #expect(heads["stage/a"]?.outputs == [out])
        #expect(heads["spec/b"]?.state == .reused)
        #expect(heads["spec/b"]?.outputs == [])
    }

    /// finishBuild writes only the changed columns: the row must be what
    /// writing the whole finished record gives (same outputs text, same
    /// dates and duration), so every reader sees one format.
    @Test func aFinishedBuildIsStoredAsTheWholeRecordWouldBe() throws {
        let db = try StateDatabase()
        let outs = [NodeBuildRecord.Output(path: "builds/a b\"é.tar.xz", sha256: "sha256:" + String(repeating: "c", count: 64), size: 7),
                    NodeBuildRecord.Output(path: "builds/z.log", sha256: "sha256:" + String(repeating: "d", count: 64), size: 0)]
        var started = record("stage/a", key: "k", state: .running, at: 1_800_000_000.125)
        started.endedAt = nil; started.duration = nil; started.message = nil
        let id = try db.beginBuild(started)
        let end = Date(timeIntervalSince1970: 1_800_000_003.5)
        try db.finishBuild(id: id, state: .succeeded, outputs: outs, endedAt: end, message: "done")
        var whole = started
        whole.state = .succeeded; whole.outputs = outs; whole.endedAt = end; whole.duration = 3.375; whole.message = "done"
        let wholeId = try db.recordBuild(whole)
        let columns = "state, outputs, typeof(outputs), ended_at, typeof(ended_at), duration, message"
        let rows = try db.writer.read { d in
            try [id, wholeId].map { try Row.fetchOne(d, sql: "SELECT \(columns) FROM node_build WHERE id = ?", arguments: [$0])! }
        }
        #expect(rows[0] == rows[1], "\(rows)")
        #expect(try db.currentBuild(node: "stage/a")?.outputs == outs)
        // A failed attempt stores no outputs, as before.
        let failed = try db.beginBuild(started)
        try db.finishBuild(id: failed, state: .failed, outputs: outs, endedAt: end, message: "exit 1")
        #expect(try db.lastAttempt(node: "stage/a")?.outputs == [])
        #expect(try db.lastAttempt(node: "stage/a")?.duration == 3.375)
    }

    @Test func lastAttemptHeadsAreTheNewestOfEachNodeWhateverItsState() throws {
        let db = try StateDatabase()
        try db.recordBuild(record("stage/a", key: "k1"))
        let failed = try db.beginBuild(record("stage/a", key: "k2"))
        try db.finishBuild(id: failed, state: .failed, outputs: [], endedAt: Date(), message: "catalyst exited 1")
        try db.recordBuild(record("stage/b", key: "k3"))
        _ = try db.beginBuild(record("stage/c", key: "k4"))

        let last = try db.lastAttemptHeads()
        #expect(Set(last.keys) == ["stage/a", "stage/b", "stage/c"])
        for node in last.keys {
            let one = try #require(try db.lastAttempt(node: node))
            #expect(last[node] == NodeBuildHead(one))
        }
        #expect(last["stage/a"]?.state == .failed)
        #expect(last["stage/a"]?.message == "catalyst exited 1")
        #expect(last["stage/c"]?.state == .running)
        // The failed attempt did not replace the current build.
        #expect(try db.currentBuildHeads()["stage/a"]?.key == "k1")
    }

    @Test func aCorruptTableFoundByAStatementIsCheckedAndRebuiltAtTheNextOpen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/.cache/state.db"
        let (rootPage, pageSize): (Int, Int) = try {
            let (db, recovered) = try StateDatabase.open(at: path)
            #expect(recovered == nil)
            for i in 0..<50 { try db.recordBuild(record("stage/n\(i)", key: "k\(i)")) }
            return try db.writer.read { db in
                (try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'node_build'")!,
                 try Int.fetchOne(db, sql: "PRAGMA page_size")!)
            }
        }()
        // Closed: the WAL is checkpointed into the file. Overwrite the table's root page.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64((rootPage - 1) * pageSize))
        handle.write(Data(repeating: 0xA5, count: pageSize))
        try handle.close()

        // Opening reads only the schema, so it succeeds; the first read of the table fails and leaves the marker.
        try {
            let (db, recovered) = try StateDatabase.open(at: path)
            #expect(recovered == nil)
            #expect(throws: DatabaseError.self) { try db.history(node: nil) }
        }()
        #expect(FileManager.default.fileExists(atPath: StateDatabase.checkMarker(path)))

        // The next open checks the whole file, moves it aside and starts afresh.
        let (db, recovered) = try StateDatabase.open(at: path)
        #expect(recovered?.contains("moved aside") == true)
        #expect(try db.history(node: nil).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: StateDatabase.checkMarker(path)))
        let aside = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/.cache").filter { $0.hasPrefix("state.db.corrupt-") }
        #expect(aside.count == 1)
    }

    @Test func aHealthyDatabaseLeavesNoMarkerAndIsNotRebuilt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/.cache/state.db"
        try {
            let (db, _) = try StateDatabase.open(at: path)
            try db.recordBuild(record("stage/a", key: "k1"))
        }()
        // A marker left by an earlier failure: the check passes and the data stays.
        #expect(FileManager.default.createFile(atPath: StateDatabase.checkMarker(path), contents: Data()))
        let (db, recovered) = try StateDatabase.open(at: path)
        #expect(recovered == nil)
        #expect(try db.currentBuildHeads()["stage/a"]?.key == "k1")
        #expect(!FileManager.default.fileExists(atPath: StateDatabase.checkMarker(path)))
    }
}
