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
    /// How many times cbuild and ninja each do the first build.
    static let firstRounds = 3

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
            // As the CLI does (CBuildMain.run): this invocation's no-op record when
            // nothing it read changed, else the full check, watched, saved when a no-op.
            let cache = directory + "/.cache"
            if case .replayed(let status) = NoOpShortcut.begin(cacheDirectory: cache) { exit(status) }
            let summary = child == "status" ? try await GraphRun.status(shape, root: directory)
                                            : try await GraphRun.noOpBuild(shape, root: directory)
            let line = summary.line + "\n"
            NoOpRecord.captureOutput(fd: 1, line)
            FileHandle.standardOutput.write(Data(line.utf8))
            if summary.didNothing {
                NoOpShortcut.offer(cacheDirectory: cache, mode: child == "status" ? .shared : .exclusive, command: "cbuild-bench graph")
                if let why = NoOpShortcut.saveOffered(exitStatus: 0), ProcessInfo.processInfo.environment["CBUILD_EXPLAIN_NOOP"] != nil {
                    FileHandle.standardError.write(Data("no-op record not saved: \(why)\n".utf8))
                }
            }
            return
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let jobs = min(2, cores)
        let typical = try GraphShape(nodes: 60, files: 300)

        print("graph: no-op build and status on \(shape.nodeCount) nodes (\(shape.sources.count) source, \(shape.derived.count) derived, \(shape.actions.count) action in \(GraphShape.layers) layers, 1 phony)")
        print("inputs: \(shape.fileCount) files, each action hashes ~\(shape.fileCount / max(1, shape.actions.count)) and depends on \(Bench.format(shape.meanActionDependencies, 1)) earlier actions on average")
        print("typical directory: the same shape with \(typical.nodeCount) nodes and \(typical.fileCount) files (no-op build only)")
        print("cores: \(cores); first builds with -j \(jobs), cbuild and ninja \(Self.firstRounds) times each in turn from nothing (medians), make once;")
        print("all files in page cache; after one untimed warm-up,")
        print("\(repeats) rounds run every contender once in turn; medians of wall time and of CPU time (user + system, children included)")
        print("")

        let large = try await GraphDirectory.prepare(shape, jobs: jobs, keep: keep, make: true, firstRounds: Self.firstRounds)
        defer { large.remove() }
        let small = try await GraphDirectory.prepare(typical, jobs: jobs, keep: false, make: false)
        defer { small.remove() }
        if keep { print("directory: \(large.root) (kept)\n") }

        let me = try GraphTiming.executablePath()
        let cbuild = (me as NSString).deletingLastPathComponent + "/cbuild"
        let hasCBuild = FileManager.default.isExecutableFile(atPath: cbuild)
        let root = large.root
        var contenders: [GraphContender] = [
            GraphContender("no-op build: cbuild, as a process") { try GraphTiming.spawn([me, "graph", "--child", "build"] + large.childArgs) },
            GraphContender("no-op build: cbuild, as a process, full check") {
                try GraphTiming.spawn([me, "graph", "--child", "build"] + large.childArgs, environment: ["CBUILD_FULL_CHECK=1"])
            },
            GraphContender("no-op build: cbuild engine, in process") { _ = try await GraphRun.noOpBuild(large.shape, root: root) },
            GraphContender("no-op build: ninja") { try GraphTiming.spawn(["ninja", "-C", root]) },
            GraphContender("no-op build: make") { try GraphTiming.spawn(["make", "-C", root, "all"]) },
            GraphContender("status: cbuild, as a process") { try GraphTiming.spawn([me, "graph", "--child", "status"] + large.childArgs) },
            GraphContender("status: cbuild, as a process, full check") {
                try GraphTiming.spawn([me, "graph", "--child", "status"] + large.childArgs, environment: ["CBUILD_FULL_CHECK=1"])
            },
            GraphContender("status: cbuild engine, in process") { _ = try await GraphRun.status(large.shape, root: root) },
            GraphContender("status: ninja -n") { try GraphTiming.spawn(["ninja", "-C", root, "-n"]) },
            GraphContender("status: make -q") { try GraphTiming.spawn(["make", "-C", root, "-q", "all"]) },
            GraphContender("typical: cbuild no-op, as a process") { try GraphTiming.spawn([me, "graph", "--child", "build"] + small.childArgs) },
            GraphContender("typical: cbuild no-op, as a process, full check") {
                try GraphTiming.spawn([me, "graph", "--child", "build"] + small.childArgs, environment: ["CBUILD_FULL_CHECK=1"])
            },
            GraphContender("typical: ninja no-op") { try GraphTiming.spawn(["ninja", "-C", small.root]) },
            GraphContender("process floor: cbuild-bench --help") { try GraphTiming.spawn([me, "--help"]) },
            GraphContender("process floor: ninja --version") { try GraphTiming.spawn(["ninja", "--version"]) },
        ]
        if hasCBuild {
            contenders.append(GraphContender("process floor: cbuild --version") { try GraphTiming.spawn([cbuild, "--version"]) })
        }
        var parts: [String: [Double]] = [:]
        for _ in 0..<repeats {
            for i in contenders.indices { try await contenders[i].measure() }
            for (name, seconds) in try GraphRun.components(shape, root: root) { parts[name, default: []].append(seconds) }
        }

        let m = Dictionary(uniqueKeysWithValues: contenders.map { ($0.name, (wall: GraphTiming.median($0.wall), cpu: GraphTiming.median($0.cpu))) })
        func ms(_ s: Double) -> String { Bench.format(s * 1000, 1) }
        func ratio(_ a: Double, _ b: Double) -> String { Bench.format(a / b, 2) + "×" }
        let baselines = ["no-op build": ("no-op build: ninja", "no-op build: make"), "status": ("status: ninja -n", "status: make -q")]
        var rows: [[String]] = [
            ["first build: cbuild engine, -j \(jobs)", ms(large.first.cbuild), "", ratio(large.first.cbuild, large.first.ninja),
             ratio(large.first.cbuild, large.first.make)],
            ["first build: ninja", ms(large.first.ninja), "", "", ""],
            ["first build: make", ms(large.first.make), "", "", ""],
        ]
        for c in contenders {
            let t = m[c.name]!
            let group = String(c.name.prefix { $0 != ":" })
            if let base = baselines[group], c.name.contains("cbuild") {
                rows.append([c.name, ms(t.wall), ms(t.cpu), ratio(t.wall, m[base.0]!.wall), ratio(t.wall, m[base.1]!.wall)])
            } else if c.name.hasPrefix("typical: cbuild no-op, as a process") {
                rows.append([c.name, ms(t.wall), ms(t.cpu), ratio(t.wall, m["typical: ninja no-op"]!.wall), ""])
            } else if c.name.hasPrefix("process floor: cbuild") {
                rows.append([c.name, ms(t.wall), ms(t.cpu), ratio(t.wall, m["process floor: ninja --version"]!.wall), ""])
            } else {
                rows.append([c.name, ms(t.wall), ms(t.cpu), "", ""])
            }
        }
        Bench.printTable(["measurement", "wall ms", "cpu ms", "vs ninja", "vs make"], rows)

        // The goals of issue #15, each against its baseline from this run.
        let goals: [(String, Double, Double)] = [
            ("no-op build as a process vs ninja (\(shape.nodeCount) nodes, \(shape.fileCount) files)",
             m["no-op build: cbuild, as a process"]!.wall / m["no-op build: ninja"]!.wall, 1.5),
            ("status as a process vs ninja -n", m["status: cbuild, as a process"]!.wall / m["status: ninja -n"]!.wall, 1.5),
            ("typical directory (\(typical.nodeCount) nodes, \(typical.fileCount) files) no-op as a process vs ninja",
             m["typical: cbuild no-op, as a process"]!.wall / m["typical: ninja no-op"]!.wall, 2.0),
            ("first build with -j \(jobs) vs ninja", large.first.cbuild / large.first.ninja, 1.5),
        ]
        print("")
        Bench.printTable(["goal (content hashing on)", "measured", "goal", "result"],
                         goals.map { [$0.0, Bench.format($0.1, 2) + "×", "≤ " + Bench.format($0.2, 2) + "×", $0.1 <= $0.2 ? "met" : "NOT MET"] },
                         leftAligned: [0, 3])
        print("")
        print("where a no-op build's time goes (in process, each part measured on its own, medians):")
        Bench.printTable(["part", "ms"], GraphRun.componentNames(shape).map { [$0, ms(GraphTiming.median(parts[$0] ?? []))] })
    }
}

/// A synthetic build directory with the graph built once by cbuild, ninja
/// (and make), checked to be equal and warmed up: ready for no-op timing.
struct GraphDirectory {
    let shape: GraphShape
    let root: String
    let keep: Bool
    /// Wall seconds of the first builds.
    var first: (cbuild: Double, ninja: Double, make: Double) = (0, 0, 0)
    var childArgs: [String] { ["--nodes", "\(shape.nodeCount)", "--files", "\(shape.fileCount)", "--dir", root] }

    static func prepare(_ shape: GraphShape, jobs: Int, keep: Bool, make: Bool, firstRounds: Int = 1) async throws -> GraphDirectory {
        let root = try Bench.scratchDirectory()
        var d = GraphDirectory(shape: shape, root: root, keep: keep)
        try shape.writeInputs(root: root)
        try shape.writeNinja(root: root)
        if make { try shape.writeMakefile(root: root) }
        // First builds: shown for scale and one goal. cbuild and ninja each
        // build from nothing `firstRounds` times in turn (their outputs and
        // state removed in between), and the medians are compared; make,
        // shown for scale only, builds once.
        var cbuildFirst: [Double] = [], ninjaFirst: [Double] = []
        var makeSeconds = Double.nan
        for round in 0..<firstRounds {
            if round > 0 {
                for gone in [".cache", "out", "ninja-out", ".ninja"] { try? FileManager.default.removeItem(atPath: root + "/" + gone) }
            }
            let first = try await GraphTiming.once { try await GraphRun.build(shape, root: root, jobs: jobs) }
            guard first.result.built == shape.actions.count, first.result.failed == 0 else {
                throw GraphBenchmarkError("first cbuild build ran \(first.result.built) of \(shape.actions.count) actions (\(first.result.failed) failed)")
            }
            cbuildFirst.append(first.seconds)
            ninjaFirst.append(try await GraphTiming.once { _ = try GraphTiming.checked(["ninja", "-C", root, "-j", "\(jobs)"]) }.seconds)
            if make && round == 0 {
                makeSeconds = try await GraphTiming.once { _ = try GraphTiming.checked(["make", "-C", root, "-j", "\(jobs)", "all"]) }.seconds
            }
        }
        d.first = (GraphTiming.median(cbuildFirst), GraphTiming.median(ninjaFirst), makeSeconds)
        try shape.compareOutputs(root: root, make: make)

        // Warm-up: settles the digest cache's racy entries for files just
        // written (re-hashed once, trusted afterwards) and checks that every
        // contender really finds nothing to do.
        let warm = try await GraphRun.noOpBuild(shape, root: root)
        guard warm.didNothing else { throw GraphBenchmarkError("cbuild no-op build did work: \(warm.line)") }
        let warmStatus = try await GraphRun.status(shape, root: root)
        guard warmStatus.didNothing else { throw GraphBenchmarkError("cbuild status found stale nodes: \(warmStatus.line)") }
        let me = try GraphTiming.executablePath()
        for mode in ["build", "status"] {
            let out = try GraphTiming.checked([me, "graph", "--child", mode] + d.childArgs)
            guard out.contains(GraphRun.Summary().line) else { throw GraphBenchmarkError("cbuild-bench \(mode) child did work: \(out)") }
        }
        // The children above saved their no-op records (build, status): the
        // timed children use them; the "full check" rows skip them.
        let records = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/.cache/" + NoOpRecord.directoryName)) ?? [])
            .filter { $0.hasSuffix(".rec") }
        guard records.count == 2 else { throw GraphBenchmarkError("expected the no-op records of build and status, found \(records)") }
        let ninjaOut = try GraphTiming.checked(["ninja", "-C", root])
        guard ninjaOut.contains("no work to do") else { throw GraphBenchmarkError("ninja no-op did work: \(ninjaOut)") }
        if make {
            _ = try GraphTiming.checked(["make", "-C", root, "-q", "all"])   // exit 0: up to date
            _ = try GraphTiming.checked(["make", "-C", root, "all"])
        }
        return d
    }

    func remove() {
        if !keep { try? FileManager.default.removeItem(atPath: root) }
    }
}

/// One timed contender: how to run it once, and its wall and CPU seconds per round.
struct GraphContender {
    let name: String
    let body: () async throws -> Void
    var wall: [Double] = []
    var cpu: [Double] = []

    init(_ name: String, _ body: @escaping () async throws -> Void) {
        self.name = name; self.body = body
    }

    mutating func measure() async throws {
        let cpu0 = Bench.cpuSeconds(), start = Bench.now()
        try await body()
        wall.append(Bench.now() - start)
        cpu.append(Bench.cpuSeconds() - cpu0)
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
    func compareOutputs(root: String, make: Bool = true) throws {
        let pairs = derived.indices.map { (Self.derivedOutput($0, "out"), Self.derivedOutput($0, "ninja-out"), Self.derivedOutput($0, "make-out")) }
            + actions.indices.map { (Self.actionOutput($0, "out"), Self.actionOutput($0, "ninja-out"), Self.actionOutput($0, "make-out")) }
        for (ours, ninja, makeOut) in pairs {
            let a = FileManager.default.contents(atPath: root + "/" + ours)
            guard a != nil, a == FileManager.default.contents(atPath: root + "/" + ninja),
                  !make || a == FileManager.default.contents(atPath: root + "/" + makeOut) else {
                throw GraphBenchmarkError("\(ours), \(ninja)\(make ? " and \(makeOut)" : "") differ: the generated graphs are not equivalent")
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
        // CBUILD_BENCH_PHASES=1: where a child's time goes, on stderr.
        let trace = ProcessInfo.processInfo.environment["CBUILD_BENCH_PHASES"] != nil
        var t = Bench.now()
        func phase(_ name: String) {
            guard trace else { return }
            let n = Bench.now(); FileHandle.standardError.write(Data("\(name) \(Bench.format((n - t) * 1000, 2)) ms\n".utf8)); t = n
        }
        let lock = try DirectoryLock.acquire(cacheDirectory: root + "/.cache", mode: .exclusive, command: "cbuild-bench graph")
        defer { lock.release() }
        phase("lock")
        let (database, _) = try StateDatabase.open(at: root + "/.cache/state.db")
        phase("open")
        try database.recoverAbandonedBuilds(now: Date())
        phase("recover")
        let digests = DigestCache(database: database, root: root)
        let graph = try shape.graph()
        phase("graph")
        let engine = Engine(graph: graph, database: database, root: root, digests: digests,
                            keySalt: ["bench=1"], events: NullEventSink())
        let s = try await engine.build(["all"], options: .init(jobs: jobs))
        phase("engine")
        try digests.flush()
        phase("flush")
        return Summary(built: s.count(.built) + s.count(.reused), updated: s.count(.updated), stale: 0,
                       failed: s.count(.failed) + s.count(.skipped))
    }

    static func noOpBuild(_ shape: GraphShape, root: String) async throws -> Summary {
        try await build(shape, root: root, jobs: 2)
    }

    /// What `cbuild status` does: a tolerant plan of every node, then the
    /// current builds and every node's last attempt for the table.
    static func status(_ shape: GraphShape, root: String) async throws -> Summary {
        let lock = try DirectoryLock.acquire(cacheDirectory: root + "/.cache", mode: .shared, command: "cbuild-bench graph status")
        defer { lock.release() }
        let (database, _) = try StateDatabase.open(at: root + "/.cache/state.db")
        let digests = DigestCache(database: database, root: root)
        let graph = try shape.graph()
        let engine = Engine(graph: graph, database: database, root: root, digests: digests,
                            keySalt: ["bench=1"], events: NullEventSink())
        let plan = try await engine.plan(graph.allIDs, tolerateInputErrors: true)
        let current = try database.currentBuildHeads()
        let last = try database.lastAttemptHeads()
        var summary = Summary()
        for r in plan.results where r.explanation.kind == .action {
            _ = last[r.node.name]
            if r.explanation.verdict != .clean || current[r.node.name] == nil { summary.stale += 1 }
        }
        summary.failed = plan.count(.failed) + plan.count(.skipped)
        try digests.flush()
        return summary
    }
}

extension GraphRun {
    static func componentNames(_ shape: GraphShape) -> [String] {
        ["lock, open state.db, recover abandoned runs", "build the graph (\(shape.nodeCount) nodes, cycle check)",
         "StateDatabase.currentBuildHeads() (every node's record)", "digest cache: read all rows",
         "stat(2) of the \(shape.fileCount) input files", "digest-cache lookups of the \(shape.fileCount) input files"]
    }

    /// The parts of a no-op build, each timed on its own with fresh objects.
    static func components(_ shape: GraphShape, root: String) throws -> [(String, Double)] {
        let names = componentNames(shape)
        var out: [(String, Double)] = []
        var t = Bench.now()
        func lap(_ i: Int) { let n = Bench.now(); out.append((names[i], n - t)); t = n }
        let lock = try DirectoryLock.acquire(cacheDirectory: root + "/.cache", mode: .exclusive, command: "cbuild-bench graph")
        defer { lock.release() }
        let (database, _) = try StateDatabase.open(at: root + "/.cache/state.db")
        try database.recoverAbandonedBuilds(now: Date())
        lap(0)
        _ = try shape.graph()
        lap(1)
        _ = try database.currentBuildHeads()
        lap(2)
        let files = shape.actions.flatMap { $0.files.map { root + "/" + GraphShape.file($0) } }
        let cache = DigestCache(database: database, root: root)
        t = Bench.now()
        _ = try cache.digest(of: files[0])
        lap(3)
        for f in files { _ = try FileStat.of(f, followSymlinks: true) }
        lap(4)
        for f in files { _ = try cache.digest(of: f) }
        lap(5)
        return out
    }
}

// MARK: - Timing and processes

/// Medians, child processes with their output discarded, this executable's path.
enum GraphTiming {
    static func once<T>(_ body: () async throws -> T) async rethrows -> (seconds: Double, result: T) {
        let start = Bench.now()
        let result = try await body()
        return (Bench.now() - start, result)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let v = values.sorted()
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
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
    static func spawn(_ argv: [String], environment extra: [String] = []) throws {
        guard let exe = Executables.find(argv[0]) else { throw GraphBenchmarkError("\(argv[0]) not found in PATH") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var inherited: [String] = []
        var e = environ
        while let entry = e.pointee { inherited.append(String(cString: entry)); e += 1 }
        let cEnv = (inherited + extra).map { strdup($0) } + [nil]
        defer { for p in cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, cArgs, cEnv)
        guard rc == 0 else { throw GraphBenchmarkError("cannot start \(exe): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw GraphBenchmarkError("\(argv.joined(separator: " ")) ended with wait status \(status)") }
    }

    /// This executable, for child invocations.
    static func executablePath() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}
