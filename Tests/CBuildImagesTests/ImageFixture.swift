import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildImages
import CBuildState
import CBuildTestSupport
import Foundation

/// Counts rule runs across tasks.
final class RunCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [String] = []
    func record(_ node: String) { lock.lock(); runs.append(node); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return runs }
}

/// Stands in for catalyst: "builds" `stage4/vm/test` by placing a prepared
/// tarball where catalyst writes its output, keyed by the tarball's digest.
struct PlacedStageRule: Rule {
    let source: String
    let counter: RunCounter
    var recipeName: String { "test-placed-stage" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .action }

    func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [NodeInput(name: "tarball", digest: try ContentHasher.digestFile(at: source).description, display: nil)]
    }

    func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        counter.record(context.rule.node.name)
        let ext = source.hasSuffix(".gz") ? "tar.gz" : "tar"
        let rel = "artifacts/builds/stage4/stage4-amd64-test-\(key.short).\(ext)"
        try FileManager.default.createDirectory(atPath: context.rule.path("artifacts/builds/stage4"), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: context.rule.path(rel))
        try FileManager.default.copyItem(atPath: source, toPath: context.rule.path(rel))
        return [rel]
    }
}

/// Tool versions as a test sets them: what an upgrade of one tool looks like.
final class FixedToolVersions: ToolIdentifying, @unchecked Sendable {
    private let lock = NSLock()
    private var versions: [String: String] = [:]
    func set(_ tool: String, _ version: String) { lock.lock(); versions[tool] = version; lock.unlock() }
    func identity(of command: [String], versionArguments: [String], environment: [String: String]?) throws -> ToolIdentity {
        lock.lock(); defer { lock.unlock() }
        return ToolIdentity(command: command, output: versions[command[0]] ?? "\(command[0]) 1.0\n")
    }
}

/// A build directory with a synthetic stage4 and the image nodes of the
/// target `vm/test`, run through the real engine and database.
struct ImageFixture {
    let dir: TemporaryDirectory
    let db: StateDatabase
    let counter = RunCounter()
    let tarball: String

    /// Small and quick: a 160 MiB disk with a 48 MiB ESP.
    static let settings = ImageConfig(size: 160 << 20, espSize: 48 << 20, bootMarker: SyntheticStage4.marker,
                                      bootTimeout: 300, bootMemory: 512 << 20)

    init(kernelLink: SyntheticStage4.KernelLink = .none) throws {
        dir = try TemporaryDirectory(prefix: "cbuild-images")
        db = try StateDatabase.open(at: dir.path + "/.cache/state.db").0
        tarball = dir.path + "/stage4-source.tar.gz"
        try SyntheticStage4.write(to: tarball, scratch: dir.path, kernelLink: kernelLink)
    }

    func remove() { dir.remove() }

    func target(_ formats: [String], settings: ImageConfig = ImageFixture.settings) -> ResolvedTarget {
        ResolvedTarget(name: "vm/test", nodeName: "stage4/vm/test", stage: .stage(4), seed: .seed("amd64-openrc"),
                       snapshotRole: "stable", profile: "default/linux/amd64/23.0", subarch: "amd64",
                       images: formats, image: settings)
    }

    func graph(_ formats: [String], settings: ImageConfig = ImageFixture.settings) throws -> BuildGraph {
        try BuildGraph([NodeDefinition(id: "stage4/vm/test", rule: PlacedStageRule(source: tarball, counter: counter), dependencies: [])]
                       + ImageNodes.definitions(for: target(formats, settings: settings), environment: [:]))
    }

    func build(_ nodes: [NodeID], formats: [String] = ["qcow2", "vhd"],
               settings: ImageConfig = ImageFixture.settings, tools: (any ToolIdentifying)? = nil) async throws -> BuildSummary {
        let engine = Engine(graph: try graph(formats, settings: settings), database: db, root: dir.path,
                            digests: DirectFileDigester(), keySalt: ["catalyst-flavor=4"], events: NullEventSink())
        if let tools { engine.tools = tools }
        return try await engine.build(nodes, options: .init(jobs: 1))
    }

    func path(_ relative: String) -> String { dir.path + "/" + relative }

    /// The output of `node` in `summary`, as an absolute path.
    func output(_ summary: BuildSummary, _ node: NodeID) -> String? {
        summary.result(node)?.outputs.first.map { path($0.path) }
    }

    static func run(_ argv: [String]) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"; env["MTOOLS_SKIP_CHECK"] = "1"
        return try SystemProcessRunner().run(argv, environment: env, currentDirectory: nil, input: nil)
    }
}
