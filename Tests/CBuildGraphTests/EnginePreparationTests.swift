import CBuildBasics
import CBuildGraph
import CBuildState
import CBuildTestSupport
import Foundation
import Testing

/// Nodes that are ready together are prepared together on all cores (their
/// inputs, keys and file checks); the decisions must be exactly those of
/// one node at a time: the right nodes run, each failure stays with its node.
@Suite struct EnginePreparationTests {
    /// 24 sources, 24 actions each hashing its own file and depending on
    /// its source, then a second layer of 24 actions on two of the first.
    private struct Wide {
        let dir: TemporaryDirectory
        let counter = RunCounter()
        let db: StateDatabase
        static let width = 24

        init() throws {
            dir = try TemporaryDirectory()
            for i in 0..<Wide.width {
                try dir.write("src/s\(i).txt", "source \(i)\n")
                try dir.write("conf/c\(i).txt", "setting \(i)\n")
            }
            db = try StateDatabase.open(at: dir.path + "/.cache/state.db").0
        }

        func graph() throws -> BuildGraph {
            var defs: [NodeDefinition] = []
            for i in 0..<Wide.width {
                defs.append(NodeDefinition(id: NodeID("file/s\(i)"), rule: FileSourceRule(file: "src/s\(i).txt"), dependencies: []))
                defs.append(NodeDefinition(id: NodeID("act/a\(i)"), rule: HashedFileActionRule(counter: counter, file: "conf/c\(i).txt"),
                                           dependencies: [NodeID("file/s\(i)")]))
                defs.append(NodeDefinition(id: NodeID("act/b\(i)"), rule: ConcatRule(counter: counter),
                                           dependencies: [NodeID("act/a\(i)"), NodeID("act/a\((i + 1) % Wide.width)")]))
            }
            defs.append(NodeDefinition(id: "all", rule: GroupRule(), dependencies: (0..<Wide.width).map { NodeID("act/b\($0)") }))
            return try BuildGraph(defs)
        }

        func build(keepGoing: Bool = false) async throws -> BuildSummary {
            counter.reset()
            let cache = DigestCache(database: db, racyMarginNs: 0)
            defer { try? cache.flush() }
            let engine = Engine(graph: try graph(), database: db, root: dir.path, digests: CachedDigests(cache: cache),
                                keySalt: ["flavor=4"], events: NullEventSink())
            return try await engine.build(["all"], options: .init(jobs: 2, keepGoing: keepGoing))
        }
    }

    @Test func changedFilesRebuildExactlyTheirNodes() async throws {
        let w = try Wide(); defer { w.dir.remove() }
        let first = try await w.build()
        #expect(first.failed.isEmpty)
        #expect(w.counter.all.count == 2 * Wide.width)
        let noOp = try await w.build()
        #expect(w.counter.all.isEmpty, "a no-op build runs nothing")
        #expect(noOp.results.allSatisfy { $0.outcome == .clean })

        try w.dir.write("conf/c3.txt", "setting 3 changed\n")
        try w.dir.write("conf/c17.txt", "setting 17 changed\n")
        let s = try await w.build()
        // a3 and a17 changed; b2, b3, b16, b17 depend on them.
        #expect(Set(w.counter.all) == ["act/a3", "act/a17", "act/b2", "act/b3", "act/b16", "act/b17"])
        #expect(s.result("act/a3")!.explanation.reasons.contains { $0.text.contains("conf/c3.txt") })
        #expect(s.result("act/a17")!.explanation.reasons.contains { $0.text.contains("conf/c17.txt") })
        #expect(s.result("act/a4")!.outcome == .clean)
    }

    @Test func aFailingInputStaysWithItsNodeAmongOthersPreparedWithIt() async throws {
        let w = try Wide(); defer { w.dir.remove() }
        try FileManager.default.removeItem(atPath: w.dir.path + "/conf/c5.txt")
        let s = try await w.build(keepGoing: true)
        #expect(s.failed.map(\.node) == ["act/a5"])
        #expect(s.result("act/a5")!.message?.contains("conf/c5.txt") == true)
        // Its dependents are blocked; every other action was built.
        #expect(s.result("act/b4")!.outcome == .skipped && s.result("act/b5")!.outcome == .skipped)
        #expect(w.counter.all.count == 2 * Wide.width - 3)
    }
}

/// The engine's view of the state layer's digest cache (the project layer
/// declares the same conformance; this target does not link it).
private struct CachedDigests: FileDigesting {
    let cache: DigestCache
    func digest(of path: String) throws -> Digest { try cache.digest(of: path) }
}
