import CBuildBasics
import CBuildGraph
import CBuildProject
import CBuildState
import Foundation

/// `cbuild-bench graph`: what a no-op build and a `status` cost on a large
/// graph, next to ninja and make on the same graph. A synthetic build
/// directory (input files, source/derived/action nodes in layers) is built
/// once by the real Engine + StateDatabase + DigestCache, by ninja and by
/// make; then the runs that find nothing to do are timed. Goal (issue 3):
/// a no-op build within 2× of ninja while hashing content.
struct GraphBenchmark {
    let shape: GraphShape
    let repeats: Int
    let keep: Bool
    /// Set in a child invocation: run one no-op build or status on `directory` and exit.
    let child: String?
    let directory: String?

    init(arguments: [String]) throws {
        var numbers = ["nodes": 1000, "files": 10_000, "repeat": 9]
        var child: String?, directory: String?, keep = false
        var i = 0
        while i < arguments.count {
            let option = arguments[i]
            let name = String(option.dropFirst(2))
            if option == "--keep" { keep = true; i += 1; continue }
            guard option.hasPrefix("--"), i + 1 < arguments.count else {
                throw GraphBenchmarkError("unknown or incomplete option '\(option)' (known: --nodes N, --files N, --repeat N, --keep)")
            }
            let value = arguments[i + 1]
            switch name {
            case "child": child = value
            case "dir": directory = value
            default:
                guard numbers[name] != nil else { throw GraphBenchmarkError("unknown option '\(option)'") }
                guard let n = Int(value), n > 0 else { throw GraphBenchmarkError("\(option) needs a positive number") }
                numbers[name] = n
            }
            i += 2
        }
        shape = try GraphShape(nodes: numbers["nodes"]!, files: numbers["files"]!)
        repeats = numbers["repeat"]!
        self.keep = keep
        self.child = child
        self.directory = directory
    }

    func run() async throws {
        if let child {
            guard let directory else { throw GraphBenchmarkError("--child needs --dir") }
            let summary = child == "status" ? try await GraphRun.status(shape, root: directory)
                                            : try await GraphRun.noOpBuild(shape, root: directory)
            print(summary.line)
            return
        }
        let root = try GraphTiming.scratchDirectory()
        defer { if !keep { try? FileManager.default.removeItem(atPath: root) } }
        try shape.writeInputs(root: root)
        try shape.writeNinja(root: root)
        try shape.writeMakefile(root: root)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let jobs = min(2, cores)

        print("graph: no-op build and status on \(shape.nodeCount) nodes (\(shape.sources.count) source, \(shape.derived.count) derived, \(shape.actions.count) action in \(GraphShape.layers) layers, 1 phony)")
        print("inputs: \(shape.fileCount) files, each action hashes ~\(shape.fileCount / max(1, shape.actions.count)) and depends on \(String(format: "%.1f", shape.meanActionDependencies)) earlier actions on average")
        print("directory: \(root)\(keep ? " (kept)" : "")")
        print("cores: \(cores); first builds with -j \(jobs); median of \(repeats) runs after one untimed warm-up; all files in page cache")
        print("")

        // First builds (not timed for the comparison, shown for scale).
        let first = try await GraphTiming.once { try await GraphRun.build(shape, root: root, jobs: jobs) }
        guard first.result.built == shape.actions.count, first.result.failed == 0 else {
            throw GraphBenchmarkError("first cbuild build ran \(first.result.built) of \(shape.actions.count) actions (\(first.result.failed) failed)")
        }
        let ninjaFirst = try GraphTiming.once { try GraphTiming.checked(["ninja", "-C", root, "-j", "\(jobs)"]) }
        let makeFirst = try GraphTiming.once { try GraphTiming.checked(["make", "-C", root, "-j", "\(jobs)", "all"]) }
        try shape.compareOutputs(root: root)

        // Warm-up: settles the digest cache's racy entries for files just
        // written (re-hashed once, trusted afterwards) and checks every
        // contender really finds nothing to do.
        let warm = try await GraphRun.noOpBuild(shape, root: root)
        guard warm.didNothing else { throw GraphBenchmarkError("cbuild no-op build did work: \(warm.line)") }
        let warmStatus = try await GraphRun.status(shape, root: root)
        guard warmStatus.didNothing else { throw GraphBenchmarkError("cbuild status found stale nodes: \(warmStatus.line)") }
        let me = try GraphTiming.executablePath()
        let sizeArgs = ["--nodes", "\(shape.nodeCount)", "--files", "\(shape.fileCount)", "--dir", root]
        for mode in ["build", "status"] {
            let out = try GraphTiming.checked([me, "graph", "--child", mode] + sizeArgs)
            guard out.contains("built=0 updated=0 stale=0") else {
                throw GraphBenchmarkError("cbuild-bench \(mode) child did work: \(out)")
            }
        }
        let ninjaOut = try GraphTiming.checked(["ninja", "-C", root])
        guard ninjaOut.contains("no work to do") else { throw GraphBenchmarkError("ninja no-op did work: \(ninjaOut)") }
        _ = try GraphTiming.checked(["make", "-C", root, "-q", "all"])   // exit 0: up to date
        _ = try GraphTiming.checked(["make", "-C", root, "all"])

        // Timed runs.
        let buildIn = try await GraphTiming.median(repeats) { _ = try await GraphRun.noOpBuild(shape, root: root) }
        let statusIn = try await GraphTiming.median(repeats) { _ = try await GraphRun.status(shape, root: root) }
        let buildProc = try await GraphTiming.median(repeats) { try GraphTiming.spawn([me, "graph", "--child", "build"] + sizeArgs) }
        let statusProc = try await GraphTiming.median(repeats) { try GraphTiming.spawn([me, "graph", "--child", "status"] + sizeArgs) }
        let ninja = try await GraphTiming.median(repeats) { try GraphTiming.spawn(["ninja", "-C", root]) }
        let ninjaDry = try await GraphTiming.median(repeats) { try GraphTiming.spawn(["ninja", "-C", root, "-n"]) }
        let make = try await GraphTiming.median(repeats) { try GraphTiming.spawn(["make", "-C", root, "all"]) }
        let makeQ = try await GraphTiming.median(repeats) { try GraphTiming.spawn(["make", "-C", root, "-q", "all"]) }
        let exe = try await GraphTiming.median(repeats) { try GraphTiming.spawn([me, "--help"]) }

        func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }
        func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.2f×", a / b) }
        GraphTiming.printTable(["measurement", "ms", "vs ninja", "vs make"], [
            ["first build: cbuild (engine, -j \(jobs))", ms(first.seconds), ratio(first.seconds, ninjaFirst.seconds), ratio(first.seconds, makeFirst.seconds)],
            ["first build: ninja", ms(ninjaFirst.seconds), "", ""],
            ["first build: make", ms(makeFirst.seconds), "", ""],
            ["no-op build: cbuild, as a process", ms(buildProc), ratio(buildProc, ninja), ratio(buildProc, make)],
            ["no-op build: cbuild engine, in process", ms(buildIn), ratio(buildIn, ninja), ratio(buildIn, make)],
            ["no-op build: ninja", ms(ninja), "", ""],
            ["no-op build: make", ms(make), "", ""],
            ["status: cbuild, as a process", ms(statusProc), ratio(statusProc, ninjaDry), ratio(statusProc, makeQ)],
            ["status: cbuild engine, in process", ms(statusIn), ratio(statusIn, ninjaDry), ratio(statusIn, makeQ)],
            ["status: ninja -n", ms(ninjaDry), "", ""],
            ["status: make -q", ms(makeQ), "", ""],
            ["start of cbuild-bench --help (process floor)", ms(exe), "", ""],
        ])
        let verdict = buildProc <= 2 * ninja ? "met" : "NOT MET"
        print("")
        print("goal: no-op build within 2.00× of ninja while content-hashing: \(ratio(buildProc, ninja)) as a process, \(ratio(buildIn, ninja)) in process — \(verdict)")
    }
}

/// A usage or consistency problem of the graph benchmark.
struct GraphBenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - The synthetic graph

/// The synthetic graph, generated deterministically from (nodes, files) so
/// a child process rebuilds the very same graph: sources hash one input
/// file each, derived nodes concatenate two sources, actions in layers
/// concatenate their own slice of ~10 input files and depend on one derived
/// node and a few actions of earlier layers, and `all` groups the actions.
struct GraphShape {
    static let layers = 8

    /// An action: its layer, its slice of input files, and what it depends on.
    struct Action {
        var layer: Int
        var files: Range<Int>
        var derived: Int
        var actions: [Int]
    }

    let fileCount: Int
    /// sources[i] = the input file index source i hashes.
    let sources: [Int]
    /// derived[i] = the two sources it concatenates.
    let derived: [[Int]]
    let actions: [Action]
    var nodeCount: Int { sources.count + derived.count + actions.count + 1 }
    var meanActionDependencies: Double {
        Double(actions.reduce(0) { $0 + $1.actions.count }) / Double(max(1, actions.count))
    }

    init(nodes: Int, files: Int) throws {
        let sourceCount = max(1, nodes / 10), derivedCount = max(1, nodes / 10)
        let actionCount = nodes - sourceCount - derivedCount - 1
        guard actionCount >= GraphShape.layers, files >= actionCount else {
            throw GraphBenchmarkError("need --nodes ≥ \(GraphShape.layers * 5 / 4 + 3) and --files ≥ the number of action nodes")
        }
        fileCount = files
        var random = SplitMix64(seed: 0x6362_7569_6c64)
        sources = (0..<sourceCount).map { $0 * files / sourceCount }
        // Sorted, so `cat` in ninja and make reads them in the engine's (name) order.
        derived = (0..<derivedCount).map { Array(Set([$0 % sourceCount, ($0 + sourceCount / 2 + 1) % sourceCount])).sorted() }
        var actions: [Action] = []
        var layerStart = [0]
        for i in 0..<actionCount {
            let layer = i * GraphShape.layers / actionCount
            if layer == layerStart.count { layerStart.append(i) }
            var deps: [Int] = []
            if layer > 0 {
                // One from the layer just below, one or two more from any earlier layer.
                let below = layerStart[layer - 1]
                deps.append(below + Int(random.next() % UInt64(layerStart[layer] - below)))
                for _ in 0..<(1 + Int(random.next() % 2)) {
                    deps.append(Int(random.next() % UInt64(layerStart[layer])))
                }
            }
            actions.append(Action(layer: layer, files: (i * files / actionCount)..<((i + 1) * files / actionCount),
                                  derived: Int(random.next() % UInt64(derivedCount)),
                                  actions: Array(Set(deps)).sorted()))
        }
        self.actions = actions
    }

    static func file(_ i: Int) -> String { "src/d\(padded(i / 100, 3))/f\(padded(i, 5)).txt" }
    static func sourceID(_ i: Int) -> NodeID { NodeID("file/s\(padded(i, 4))") }
    static func derivedID(_ i: Int) -> NodeID { NodeID("gen/d\(padded(i, 4))") }
    static func actionID(_ i: Int) -> NodeID { NodeID("act/a\(padded(i, 4))") }
    /// Output paths relative to the root; `prefix` separates cbuild's, ninja's and make's.
    static func derivedOutput(_ i: Int, _ prefix: String) -> String { "\(prefix)/gen/d\(padded(i, 4)).txt" }
    static func actionOutput(_ i: Int, _ prefix: String) -> String { "\(prefix)/a\(padded(i, 4)).txt" }
    /// Zero-padded decimal (String(format:) is slow enough to show in a no-op run).
    static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The cbuild graph: the same files and edges as build.ninja and the Makefile.
    func graph() throws -> BuildGraph {
        var defs: [NodeDefinition] = []
        for (i, f) in sources.enumerated() {
            defs.append(NodeDefinition(id: Self.sourceID(i), rule: BenchFileRule(file: Self.file(f)), dependencies: []))
        }
        for (i, s) in derived.enumerated() {
            defs.append(NodeDefinition(id: Self.derivedID(i), rule: BenchConcatRule(output: Self.derivedOutput(i, "out")),
                                       dependencies: s.map(Self.sourceID)))
        }
        for (i, a) in actions.enumerated() {
            defs.append(NodeDefinition(id: Self.actionID(i),
                                       rule: BenchCatRule(files: a.files.map(Self.file), output: Self.actionOutput(i, "out")),
                                       dependencies: [Self.derivedID(a.derived)] + a.actions.map(Self.actionID)))
        }
        defs.append(NodeDefinition(id: "all", rule: BenchGroupRule(), dependencies: actions.indices.map(Self.actionID)))
        return try BuildGraph(defs)
    }

    /// Small files of varied size, dated an hour back (older than any build).
    func writeInputs(root: String) throws {
        let past = Int(Date().timeIntervalSince1970) - 3600
        for i in 0..<fileCount {
            if i % 100 == 0 {
                try FileManager.default.createDirectory(atPath: root + "/src/d" + Self.padded(i / 100, 3),
                                                        withIntermediateDirectories: true)
            }
            let path = root + "/" + Self.file(i)
            let text = "input \(i)\n" + String(repeating: "\(i % 10)", count: 32 + (i * 37) % 480) + "\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            var times = [timespec(tv_sec: past, tv_nsec: 0), timespec(tv_sec: past, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, path, &times, 0)
        }
    }

    /// build.ninja: derived and action outputs under ninja-out/, made by `cat`.
    func writeNinja(root: String) throws {
        var t = "# Generated by cbuild-bench graph: the same files and edges as the cbuild graph.\n"
        t += "builddir = .ninja\nrule cat\n  command = cat $in > $out\n"
        for (i, s) in derived.enumerated() {
            t += "build \(Self.derivedOutput(i, "ninja-out")): cat \(s.map { Self.file(sources[$0]) }.joined(separator: " "))\n"
        }
        for (i, a) in actions.enumerated() {
            let implicit = [Self.derivedOutput(a.derived, "ninja-out")] + a.actions.map { Self.actionOutput($0, "ninja-out") }
            t += "build \(Self.actionOutput(i, "ninja-out")): cat \(a.files.map(Self.file).joined(separator: " ")) | \(implicit.joined(separator: " "))\n"
        }
        t += "build all: phony \(actions.indices.map { Self.actionOutput($0, "ninja-out") }.joined(separator: " "))\ndefault all\n"
        try Data(t.utf8).write(to: URL(fileURLWithPath: root + "/build.ninja"))
    }

    /// Makefile: derived and action outputs under make-out/, made by `cat`.
    func writeMakefile(root: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/make-out/gen", withIntermediateDirectories: true)
        var t = "# Generated by cbuild-bench graph: the same files and edges as the cbuild graph.\n"
        t += ".PHONY: all\nall: \(actions.indices.map { Self.actionOutput($0, "make-out") }.joined(separator: " "))\n"
        for (i, s) in derived.enumerated() {
            let inputs = s.map { Self.file(sources[$0]) }.joined(separator: " ")
            t += "\(Self.derivedOutput(i, "make-out")): \(inputs)\n\tcat \(inputs) > $@\n"
        }
        for (i, a) in actions.enumerated() {
            let files = a.files.map(Self.file).joined(separator: " ")
            let others = ([Self.derivedOutput(a.derived, "make-out")] + a.actions.map { Self.actionOutput($0, "make-out") }).joined(separator: " ")
            t += "\(Self.actionOutput(i, "make-out")): \(files) \(others)\n\tcat \(files) > $@\n"
        }
        try Data(t.utf8).write(to: URL(fileURLWithPath: root + "/Makefile"))
    }

    /// The three builds must have produced the same bytes, or the graphs differ.
    func compareOutputs(root: String) throws {
        let pairs = derived.indices.map { (Self.derivedOutput($0, "out"), Self.derivedOutput($0, "ninja-out"), Self.derivedOutput($0, "make-out")) }
            + actions.indices.map { (Self.actionOutput($0, "out"), Self.actionOutput($0, "ninja-out"), Self.actionOutput($0, "make-out")) }
        for (ours, ninja, make) in pairs {
            let a = FileManager.default.contents(atPath: root + "/" + ours)
            guard a != nil, a == FileManager.default.contents(atPath: root + "/" + ninja),
                  a == FileManager.default.contents(atPath: root + "/" + make) else {
                throw GraphBenchmarkError("\(ours), \(ninja) and \(make) differ: the generated graphs are not equivalent")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64), so every process draws the same graph.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Rules (like the engine's test rules)

/// Source: one input file, its digest through the digest cache, its text as display.
private struct BenchFileRule: Rule {
    let file: String
    var recipeName: String { "bench-file" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .source }
    func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        let path = context.path(file)
        let digest = try context.digests.digest(of: path).description
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return Evaluation(inputs: [NodeInput(name: file, digest: digest)], outputDigest: digest, display: text)
    }
}

/// Derived: its dependencies' texts concatenated in name order (what `cat a b` gives), written to a file.
private struct BenchConcatRule: Rule {
    let output: String
    var recipeName: String { "bench-concat" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .derived }
    func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        let text = dependencies.sorted { $0.key < $1.key }.map { $0.value.display ?? "" }.joined()
        return Evaluation(inputs: [], outputDigest: ContentHasher.digest(.sha256, text).description,
                          display: nil, files: [PendingFile(path: output, text: text)])
    }
}

/// Action: hashes its files into the key; when run, concatenates them into its output (what `cat` gives).
private struct BenchCatRule: Rule {
    let files: [String]
    let output: String
    var recipeName: String { "bench-cat" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .action }
    func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        try files.map { NodeInput(name: $0, digest: try context.digests.digest(of: context.path($0)).description) }
    }
    func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        var bytes: [UInt8] = []
        for f in files { bytes += try [UInt8](Data(contentsOf: URL(fileURLWithPath: context.rule.path(f)))) }
        try Engine.writeAtomically(context.rule.path(output), bytes, mode: 0o644)
        return [output]
    }
}

/// Phony: `all`.
private struct BenchGroupRule: Rule {
    var recipeName: String { "bench-group" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .phony }
}

// MARK: - One cbuild invocation

/// What one cbuild invocation does on the synthetic directory, as the CLI
/// does it: take the lock, open the database, build the graph, run the
/// engine with a fresh digest cache, flush, release.
enum GraphRun {
    /// Counts of one run, printed by a child for its parent to check.
    struct Summary {
        var built = 0, updated = 0, stale = 0, failed = 0
        var didNothing: Bool { built == 0 && updated == 0 && stale == 0 && failed == 0 }
        var line: String { "built=\(built) updated=\(updated) stale=\(stale) failed=\(failed)" }
    }

    static func build(_ shape: GraphShape, root: String, jobs: Int) async throws -> Summary {
        let lock = try DirectoryLock.acquire(cacheDirectory: root + "/.cache", mode: .exclusive, command: "cbuild-bench graph")
        defer { lock.release() }
        let (database, _) = try StateDatabase.open(at: root + "/.cache/state.db")
        try database.recoverAbandonedBuilds(now: Date())
        let digests = DigestCache(database: database)
        let engine = Engine(graph: try shape.graph(), database: database, root: root, digests: digests,
                            keySalt: ["bench=1"], events: NullEventSink())
        let s = try await engine.build(["all"], options: .init(jobs: jobs))
        try digests.flush()
        return Summary(built: s.count(.built) + s.count(.reused), updated: s.count(.updated), stale: 0,
                       failed: s.count(.failed) + s.count(.skipped))
    }

    static func noOpBuild(_ shape: GraphShape, root: String) async throws -> Summary {
        try await build(shape, root: root, jobs: 2)
    }

    /// What `cbuild status` does: a tolerant plan of every node, then the
    /// current builds and each action's last attempt for the table.
    static func status(_ shape: GraphShape, root: String) async throws -> Summary {
        let lock = try DirectoryLock.acquire(cacheDirectory: root + "/.cache", mode: .shared, command: "cbuild-bench graph status")
        defer { lock.release() }
        let (database, _) = try StateDatabase.open(at: root + "/.cache/state.db")
        let digests = DigestCache(database: database)
        let graph = try shape.graph()
        let engine = Engine(graph: graph, database: database, root: root, digests: digests,
                            keySalt: ["bench=1"], events: NullEventSink())
        let plan = try await engine.plan(graph.allIDs, tolerateInputErrors: true)
        let current = try database.currentBuilds()
        var summary = Summary()
        for r in plan.results where r.explanation.kind == .action {
            _ = try database.lastAttempt(node: r.node.name)
            if r.explanation.verdict != .clean || current[r.node.name] == nil { summary.stale += 1 }
        }
        summary.failed = plan.count(.failed) + plan.count(.skipped)
        try digests.flush()
        return summary
    }
}

// MARK: - Timing and processes

/// Clock, medians, child processes with their output discarded, and the table.
enum GraphTiming {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func once<T>(_ body: () async throws -> T) async rethrows -> (seconds: Double, result: T) {
        let start = now()
        let result = try await body()
        return (now() - start, result)
    }

    static func once<T>(_ body: () throws -> T) rethrows -> (seconds: Double, result: T) {
        let start = now()
        let result = try body()
        return (now() - start, result)
    }

    /// Median wall time of `count` runs.
    static func median(_ count: Int, _ body: () async throws -> Void) async rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<max(1, count) {
            let start = now()
            try await body()
            times.append(now() - start)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }

    /// Runs a tool, requires exit 0, returns its standard output.
    static func checked(_ argv: [String]) throws -> String {
        let r = try SystemProcessRunner().run(argv)
        guard r.succeeded else {
            throw GraphBenchmarkError("\(argv.joined(separator: " ")) exited \(r.status): \(r.stderrString)\(r.stdoutString.suffix(500))")
        }
        return r.stdoutString
    }

    /// Starts a process with stdio on /dev/null (posix_spawn, no pipes to
    /// drain, the same for every contender) and waits; requires exit 0.
    static func spawn(_ argv: [String]) throws {
        guard let exe = Executables.find(argv[0]) else { throw GraphBenchmarkError("\(argv[0]) not found in PATH") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, cArgs, environ)
        guard rc == 0 else { throw GraphBenchmarkError("cannot start \(exe): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw GraphBenchmarkError("\(argv.joined(separator: " ")) ended with wait status \(status)") }
    }

    /// This executable, for child invocations.
    static func executablePath() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    static func scratchDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/cbuild-bench-graph.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw BasicsError.io(path: base, operation: "mkdtemp", errno: errno) }
        return String(cString: p)
    }

    /// A plain table: first column left-aligned, numbers right-aligned.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        for (n, row) in all.enumerated() {
            var line = ""
            for (c, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                line += c == 0 ? cell + pad : "  " + pad + cell
            }
            while line.hasSuffix(" ") { line.removeLast() }
            print(line)
            if n == 0 { print(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        }
    }
}
