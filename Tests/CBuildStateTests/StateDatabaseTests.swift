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
}
