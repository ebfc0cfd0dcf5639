import CBuildBasics
import CBuildGraph
import CBuildState
import CBuildTestSupport
import Foundation
import Testing

/// A small build directory: two files → sources → a derived node → three actions.
///
///   file/a ─┐
///           ├─ strip/ab ─ act/one ─ act/two
///   file/b ─┘                     └ act/three (also depends on file/c)
///   file/c ──────────────────────────┘
struct Fixture {
    let dir: TemporaryDirectory
    let counter = RunCounter()
    var db: StateDatabase
    var failFlag = "fail-two"

    init() throws {
        dir = try TemporaryDirectory()
        try dir.write("a.txt", "alpha\n# comment\n")
        try dir.write("b.txt", "beta\n")
        try dir.write("c.txt", "gamma\n")
        db = try StateDatabase.open(at: dir.path + "/.cache/state.db").0
    }

    func graph(concatVersion: Int = 1) throws -> BuildGraph {
        try BuildGraph([
            NodeDefinition(id: "file/a", rule: FileSourceRule(file: "a.txt"), dependencies: []),
            NodeDefinition(id: "file/b", rule: FileSourceRule(file: "b.txt"), dependencies: []),
            NodeDefinition(id: "file/c", rule: FileSourceRule(file: "c.txt"), dependencies: []),
            NodeDefinition(id: "strip/ab", rule: StripCommentsRule(output: ".cache/strip-ab.txt"), dependencies: ["file/a", "file/b"]),
            NodeDefinition(id: "act/one", rule: ConcatRule(counter: counter, version: concatVersion), dependencies: ["strip/ab"]),
            NodeDefinition(id: "act/two", rule: ConcatRule(counter: counter, failWhenFileExists: failFlag), dependencies: ["act/one"]),
            NodeDefinition(id: "act/three", rule: ConcatRule(counter: counter), dependencies: ["act/one", "file/c"]),
            NodeDefinition(id: "all", rule: GroupRule(), dependencies: ["act/two", "act/three"]),
        ])
    }

    func engine(root: String? = nil, concatVersion: Int = 1) throws -> Engine {
        Engine(graph: try graph(concatVersion: concatVersion), database: db, root: root ?? dir.path,
               digests: DirectFileDigester(), keySalt: ["flavor=4"], events: NullEventSink())
    }

    @discardableResult
    func build(_ nodes: [NodeID] = ["all"], jobs: Int = 2, keepGoing: Bool = false, concatVersion: Int = 1) async throws -> BuildSummary {
        counter.reset()
        return try await engine(concatVersion: concatVersion).build(nodes, options: .init(jobs: jobs, keepGoing: keepGoing))
    }
}

@Suite struct EngineTests {
    @Test func firstBuildRunsEverythingAndNoOpRunsNothing() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        let first = try await f.build()
        #expect(Set(f.counter.all) == ["act/one", "act/two", "act/three"])
        #expect(first.failed.isEmpty)
        #expect(f.dir.exists(".cache/strip-ab.txt"))
        try await f.build()
        #expect(f.counter.all.isEmpty)
    }

    @Test func changingOneLeafRunsExactlyItsDependents() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        try f.dir.write("c.txt", "gamma 2\n")
        let s = try await f.build()
        #expect(f.counter.all == ["act/three"])
        let reasons = s.result("act/three")!.explanation.reasons
        #expect(reasons.contains { $0.text.contains("file/c") })
    }

    @Test func commentOnlyChangeIsCutOffAtTheDerivedNode() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        try f.dir.write("a.txt", "alpha\n# another comment\n")
        let s = try await f.build()
        #expect(f.counter.all.isEmpty)
        #expect(s.result("strip/ab")!.outcome == .clean)
    }

    @Test func realChangeFlowsThroughDerivedNode() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        try f.dir.write("b.txt", "beta\ndelta\n")
        f.counter.reset()
        let plan = try await f.engine().plan(["all"])
        #expect(plan.result("strip/ab")!.outcome == .wouldRun)
        #expect(plan.result("act/one")!.explanation.reasons.contains { $0.text.contains("strip/ab") })
        // act/two and act/three wait on act/one: pending, named as such.
        #expect(plan.result("act/two")!.explanation.reasons == [.dependencyRebuilds("act/one")])
        #expect(f.counter.all.isEmpty, "a plan runs nothing")
        try await f.build()
        #expect(Set(f.counter.all) == ["act/one", "act/two", "act/three"])
    }

    @Test func movingTheDirectoryRunsNothing() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        let moved = try TemporaryDirectory(); defer { moved.remove() }
        try FileManager.default.removeItem(atPath: moved.path)
        try FileManager.default.copyItem(atPath: f.dir.path, toPath: moved.path)
        let db2 = try StateDatabase.open(at: moved.path + "/.cache/state.db").0
        let engine = Engine(graph: try f.graph(), database: db2, root: moved.path,
                            digests: DirectFileDigester(), keySalt: ["flavor=4"], events: NullEventSink())
        f.counter.reset()
        let s = try await engine.build(["all"], options: .init(jobs: 2))
        #expect(f.counter.all.isEmpty)
        for r in s.results { #expect(r.outcome == .clean, "\(r.node): \(r.explanation.reasons.map(\.text))") }
    }

    @Test func rollbackReusesTheEarlierOutputWithoutRunning() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        try f.dir.write("c.txt", "gamma 2\n")
        try await f.build()
        #expect(f.counter.all == ["act/three"])
        try f.dir.write("c.txt", "gamma\n")
        let s = try await f.build()
        #expect(f.counter.all.isEmpty)
        #expect(s.result("act/three")!.outcome == .reused)
    }

    @Test func missingOutputIsRebuiltAndExplained() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        let first = try await f.build()
        let out = first.result("act/three")!.outputs[0].path
        try FileManager.default.removeItem(atPath: f.dir.path + "/" + out)
        let plan = try await f.engine().plan(["all"])
        #expect(plan.result("act/three")!.explanation.reasons.contains(.outputMissing(path: out)))
        try await f.build()
        #expect(f.counter.all == ["act/three"])
    }

    @Test func recipeVersionChangeRebuildsItsNodes() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        let plan = try await f.engine(concatVersion: 2).plan(["act/one"])
        #expect(plan.result("act/one")!.explanation.reasons.contains(.recipeChanged(old: "test-concat@1", new: "test-concat@2", note: nil)))
    }

    @Test func failureKeepsPreviousOutputCurrentAndBlocksDependents() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try await f.build()
        let before = try f.db.currentBuild(node: "act/two")!
        try f.dir.write("b.txt", "beta changed\n")
        try f.dir.write("fail-two", "")
        let s = try await f.build(keepGoing: true)
        #expect(s.result("act/two")!.outcome == .failed)
        #expect(s.result("act/three")!.outcome == .built, "keep-going builds what does not depend on the failure")
        #expect(try f.db.currentBuild(node: "act/two")!.id == before.id)
        #expect(try f.db.lastAttempt(node: "act/two")!.state == .failed)
        #expect(FileManager.default.fileExists(atPath: f.dir.path + "/" + before.outputs[0].path))
        // After the fix it builds; the explanation names the failed attempt's inputs.
        try FileManager.default.removeItem(atPath: f.dir.path + "/fail-two")
        try await f.build()
        #expect(f.counter.all == ["act/two"])
    }

    @Test func unknownNodeGetsDidYouMean() throws {
        let f = try Fixture(); defer { f.dir.remove() }
        #expect(throws: GraphError.unknownNode("act/thre", suggestion: "act/three")) {
            _ = try f.graph().lookup(["act/thre"])
        }
    }

    @Test func cyclesAreNamedInFull() throws {
        let r = GroupRule()
        #expect(throws: GraphError.cycle(["x/a", "x/b", "x/c", "x/a"])) {
            _ = try BuildGraph([
                NodeDefinition(id: "x/a", rule: r, dependencies: ["x/b"]),
                NodeDefinition(id: "x/b", rule: r, dependencies: ["x/c"]),
                NodeDefinition(id: "x/c", rule: r, dependencies: ["x/a"]),
            ])
        }
    }

    /// An action's log directory is made only when the rule asks for its
    /// log path: a rule that writes no log leaves no directory behind.
    @Test func aLogDirectoryIsMadeOnlyForAnActionThatLogs() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        let quiet = try await f.build()
        #expect(quiet.result("act/one")!.outcome == .built)
        #expect(!f.dir.exists(".cache/logs/act/one"))
        let graph = try BuildGraph([
            NodeDefinition(id: "file/c", rule: FileSourceRule(file: "c.txt"), dependencies: []),
            NodeDefinition(id: "act/logs", rule: ConcatRule(counter: f.counter, sleepSeconds: 0.01), dependencies: ["file/c"]),
        ])
        let engine = Engine(graph: graph, database: f.db, root: f.dir.path, digests: DirectFileDigester(),
                            keySalt: [], events: NullEventSink())
        let s = try await engine.build(["act/logs"], options: .init())
        let log = try #require(s.result("act/logs")?.logPath)
        #expect(s.result("act/logs")!.outcome == .built)
        #expect(f.dir.exists(log), "the child's output went to \(log)")
    }

    /// When the log's directory cannot be made (`.cache/logs` is a file),
    /// the action fails naming its log, nothing becomes current, and the
    /// file in the way is left as it was.
    @Test func aLogDirectoryThatCannotBeMadeFailsTheActionNamingTheLog() async throws {
        let f = try Fixture(); defer { f.dir.remove() }
        try f.dir.write(".cache/logs", "in the way\n")
        let graph = try BuildGraph([
            NodeDefinition(id: "file/c", rule: FileSourceRule(file: "c.txt"), dependencies: []),
            NodeDefinition(id: "act/logs", rule: ConcatRule(counter: f.counter, sleepSeconds: 0.01), dependencies: ["file/c"]),
        ])
        let engine = Engine(graph: graph, database: f.db, root: f.dir.path, digests: DirectFileDigester(),
                            keySalt: [], events: NullEventSink())
        let s = try await engine.build(["act/logs"], options: .init())
        let result = try #require(s.result("act/logs"))
        #expect(result.outcome == .failed)
        #expect(result.message?.contains(".cache/logs/act/logs/") == true, "\(result.message ?? "")")
        #expect(try f.db.currentBuild(node: "act/logs") == nil)
        #expect(try f.db.lastAttempt(node: "act/logs")?.state == .failed)
        #expect(try f.dir.read(".cache/logs") == "in the way\n")
    }

    @Test func interruptedNodeIsRecordedAndPreviousOutputStays() async throws {
        var f = try Fixture(); defer { f.dir.remove() }
        f.failFlag = "never"
        let counter = f.counter
        let graph = try BuildGraph([
            NodeDefinition(id: "file/c", rule: FileSourceRule(file: "c.txt"), dependencies: []),
            NodeDefinition(id: "act/slow", rule: ConcatRule(counter: counter, sleepSeconds: 30), dependencies: ["file/c"]),
        ])
        let engine = Engine(graph: graph, database: f.db, root: f.dir.path, digests: DirectFileDigester(),
                            keySalt: [], events: NullEventSink())
        async let summary = engine.build(["act/slow"], options: .init())
        try await Task.sleep(nanoseconds: 500_000_000)
        engine.interrupt()
        let s = try await summary
        #expect(s.interrupted)
        #expect(s.result("act/slow")!.outcome == .interrupted)
        #expect(try f.db.lastAttempt(node: "act/slow")!.state == .interrupted)
        #expect(try f.db.currentBuild(node: "act/slow") == nil)
    }
}
