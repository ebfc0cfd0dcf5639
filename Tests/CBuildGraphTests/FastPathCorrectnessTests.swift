import CBuildBasics
import CBuildGraph
import CBuildState
import CBuildTestSupport
import Foundation
import Testing

/// Issue #15: whatever a no-op build skips, these changes must still
/// rebuild exactly the nodes that read the changed file and their
/// dependents. Each build is a new command: the database reopened, a new
/// digest cache with the default racy margin, flushed at the end.
@Suite struct FastPathCorrectnessTests {
    /// a (conf/a1, conf/a2) ← c (conf/c1); b (conf/b1) ← d (other/d1).
    private struct Directory {
        var dir: TemporaryDirectory
        var root: String
        let counter = RunCounter()
        static let files = ["conf/a1": "alpha one\n", "conf/a2": "alpha two\n", "conf/b1": "bravo\n",
                            "conf/c1": "charlie\n", "other/d1": "delta\n"]

        init(aged: Bool) throws {
            dir = try TemporaryDirectory()
            root = dir.path
            for (path, text) in Self.files {
                let full = try dir.write(path, text)
                if aged { try Self.setMtime(full, secondsAgo: 3600) }
            }
        }

        func graph() throws -> BuildGraph {
            func action(_ name: String, _ files: [String], _ deps: [NodeID] = []) -> NodeDefinition {
                NodeDefinition(id: NodeID("act/\(name)"), rule: FilesActionRule(counter: counter, files: files), dependencies: deps)
            }
            return try BuildGraph([
                action("a", ["conf/a1", "conf/a2"]), action("b", ["conf/b1"]),
                action("c", ["conf/c1"], ["act/a"]), action("d", ["other/d1"], ["act/b"]),
                NodeDefinition(id: "all", rule: GroupRule(), dependencies: ["act/c", "act/d"]),
            ])
        }

        /// One command: which actions ran, and the summary.
        func build() async throws -> (ran: Set<String>, summary: BuildSummary) {
            counter.reset()
            let db = try StateDatabase.open(at: root + "/.cache/state.db").0
            let cache = DigestCache(database: db, root: root)
            let engine = Engine(graph: try graph(), database: db, root: root, digests: CacheDigests(cache: cache),
                                keySalt: ["test=1"], events: NullEventSink())
            let summary = try await engine.build(["all"], options: .init(jobs: 2))
            try cache.flush()
            #expect(summary.failed.isEmpty, "\(summary.results.map { "\($0.node): \($0.message ?? "")" })")
            return (Set(counter.all.map { String($0.dropFirst("act/".count)) }), summary)
        }

        static func setMtime(_ path: String, secondsAgo: Int) throws {
            var times = [timespec(tv_sec: Int(Date().timeIntervalSince1970) - secondsAgo, tv_nsec: 250),
                         timespec(tv_sec: Int(Date().timeIntervalSince1970) - secondsAgo, tv_nsec: 250)]
            guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw BasicsError.io(path: path, operation: "utimensat", errno: errno) }
        }

        static func restore(_ path: String, to st: FileStat) {
            var times = [timespec(tv_sec: Int(st.mtimeNs / 1_000_000_000), tv_nsec: Int(st.mtimeNs % 1_000_000_000)),
                         timespec(tv_sec: Int(st.mtimeNs / 1_000_000_000), tv_nsec: Int(st.mtimeNs % 1_000_000_000))]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
    }

    @Test func aSameSizeRewriteWithinTheRacyWindowRebuildsItsDependents() async throws {
        let d = try Directory(aged: false); defer { d.dir.remove() }
        #expect(try await d.build().ran == ["a", "b", "c", "d"])
        // Written just before the build read it: rewritten at once with as
        // many bytes and the very same mtime.
        let path = d.root + "/conf/a1"
        let before = try FileStat.of(path)
        try "ALPHA ONE\n".write(toFile: path, atomically: false, encoding: .utf8)
        Directory.restore(path, to: before)
        #expect(try FileStat.of(path).size == before.size && FileStat.of(path).mtimeNs == before.mtimeNs)
        #expect(try await d.build().ran == ["a", "c"])
        #expect(try await d.build().ran == [])
    }

    @Test func aContentChangeWhoseMtimeTouchRestoredRebuildsItsDependents() async throws {
        let d = try Directory(aged: true); defer { d.dir.remove() }
        #expect(try await d.build().ran == ["a", "b", "c", "d"])
        #expect(try await d.build().ran == [])
        let path = d.root + "/conf/b1"
        let before = try FileStat.of(path)
        try "BRAVO\n".write(toFile: path, atomically: false, encoding: .utf8)
        let stamp = "@\(before.mtimeNs / 1_000_000_000).\(String(format: "%09lld", before.mtimeNs % 1_000_000_000))"
        let touch = try SystemProcessRunner().run(["touch", "-d", stamp, path])
        #expect(touch.succeeded, "\(touch.stderrString)")
        #expect(try FileStat.of(path).mtimeNs == before.mtimeNs && FileStat.of(path).size == before.size)
        #expect(try await d.build().ran == ["b", "d"])
        #expect(try await d.build().ran == [])
    }

    @Test func aFileReplacedByARenameRebuildsItsDependents() async throws {
        let d = try Directory(aged: true); defer { d.dir.remove() }
        #expect(try await d.build().ran == ["a", "b", "c", "d"])
        let path = d.root + "/conf/c1"
        let before = try FileStat.of(path)
        let tmp = try d.dir.write("conf/.c1.new", "CHARLIE\n")
        Directory.restore(tmp, to: before)
        #expect(rename(tmp, path) == 0)
        #expect(try FileStat.of(path).mtimeNs == before.mtimeNs && FileStat.of(path).size == before.size)
        #expect(try await d.build().ran == ["c"])
        #expect(try await d.build().ran == [])
    }

    @Test func aDirectoryMovedInPlaceRebuildsWhatReadsItAndMovingItBackReusesTheEarlierBuilds() async throws {
        let d = try Directory(aged: true); defer { d.dir.remove() }
        #expect(try await d.build().ran == ["a", "b", "c", "d"])
        // Another conf/ with the same names, sizes and mtimes; one file differs.
        for (path, text) in Directory.files where path.hasPrefix("conf/") {
            let copy = try d.dir.write("conf.new/" + path.dropFirst("conf/".count), path == "conf/a2" ? "ALPHA TWO\n" : text)
            Directory.restore(copy, to: try FileStat.of(d.root + "/" + path))
        }
        #expect(rename(d.root + "/conf", d.root + "/conf.old") == 0 && rename(d.root + "/conf.new", d.root + "/conf") == 0)
        #expect(try await d.build().ran == ["a", "c"])
        // The old directory back: its builds are still there, so nothing runs and a, c are reused.
        #expect(rename(d.root + "/conf", d.root + "/conf.new") == 0 && rename(d.root + "/conf.old", d.root + "/conf") == 0)
        let back = try await d.build()
        #expect(back.ran == [])
        #expect(Set(back.summary.results.filter { $0.outcome == .reused }.map(\.node.name)) == ["act/a", "act/c"])
    }

    @Test func theWholeBuildDirectoryMovedIsStillUpToDate() async throws {
        var d = try Directory(aged: true); defer { d.dir.remove() }
        #expect(try await d.build().ran == ["a", "b", "c", "d"])
        let moved = d.root + ".moved"
        #expect(rename(d.root, moved) == 0)
        defer { _ = rename(moved, d.root) }
        d.root = moved
        let again = try await d.build()
        #expect(again.ran == [])
        #expect(again.summary.results.allSatisfy { $0.outcome == .clean }, "\(again.summary.results.map { "\($0.node) \($0.outcome)" })")
        // And a change after the move is still seen.
        try "CONF C1\n".write(toFile: moved + "/conf/c1", atomically: false, encoding: .utf8)
        #expect(try await d.build().ran == ["c"])
    }
}

/// An action that hashes its files into its key and writes their text.
private struct FilesActionRule: Rule {
    let counter: RunCounter
    let files: [String]
    var recipeName: String { "test-files" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .action }
    func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        try files.map { NodeInput(name: $0, digest: try context.digests.digest(of: context.path($0)).description) }
    }
    func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        counter.record(context.rule.node.name)
        let rel = "out/\(context.rule.node.name.replacingOccurrences(of: "/", with: "_"))-\(key.short).txt"
        var text = ""
        for f in files { text += try String(contentsOfFile: context.rule.path(f), encoding: .utf8) }
        try Engine.writeAtomically(context.rule.path(rel), Array(text.utf8), mode: 0o644)
        return [rel]
    }
}

private struct CacheDigests: FileDigesting {
    let cache: DigestCache
    func digest(of path: String) throws -> Digest { try cache.digest(of: path) }
}
