import CBuildBasics
import CBuildState
import Foundation

/// How the engine treats a node.
public enum RuleKind: String, Sendable, Codable {
    /// A fact read from the world each run (a role's file): evaluated, never run.
    case source
    /// Cheap and pure (rendered spec, merged confdir, catalyst.conf): evaluated
    /// in memory on every run, written only when its content changed.
    case derived
    /// Expensive (a catalyst run, an image): run only when its key has no
    /// current or intact earlier build.
    case action
    /// A named group (fleet, all): only dependencies.
    case phony
}

/// One input of a node as it enters the key. `digest` must be
/// path-independent (absolute paths under the build directory replaced by
/// `@ROOT@` before hashing); `display` is what `--explain` shows.
public typealias NodeInput = NodeBuildRecord.Input
public typealias NodeOutput = NodeBuildRecord.Output

/// What a derived or source node evaluates to: its output digest (the
/// identity its dependents see), a display value, and files to write when
/// the content differs from what is on disk.
public struct Evaluation: Sendable {
    public var inputs: [NodeInput]
    public var outputDigest: String
    public var display: String?
    public var files: [PendingFile]
    /// Files that exist already and are the node's output (sources).
    public var existingOutputs: [NodeOutput]

    public init(inputs: [NodeInput], outputDigest: String, display: String? = nil,
                files: [PendingFile] = [], existingOutputs: [NodeOutput] = []) {
        self.inputs = inputs; self.outputDigest = outputDigest; self.display = display
        self.files = files; self.existingOutputs = existingOutputs
    }
}

/// A file a derived node writes: relative path, exact bytes, mode.
public struct PendingFile: Sendable, Hashable {
    public var path: String
    public var contents: [UInt8]
    public var mode: Int
    public init(path: String, contents: [UInt8], mode: Int = 0o644) {
        self.path = path; self.contents = contents; self.mode = mode
    }
    public init(path: String, text: String, mode: Int = 0o644) {
        self.init(path: path, contents: Array(text.utf8), mode: mode)
    }
}

/// The evaluated state of a dependency, as its dependents see it.
public struct DependencyResult: Sendable {
    public var node: NodeID
    /// The identity dependents hash: outputs' digest (early cutoff).
    public var outputDigest: String
    public var display: String?
    public var outputs: [NodeOutput]
    public var key: String?
    public init(node: NodeID, outputDigest: String, display: String?, outputs: [NodeOutput], key: String?) {
        self.node = node; self.outputDigest = outputDigest; self.display = display; self.outputs = outputs; self.key = key
    }
}

/// A node kind's recipe. The rule's name and version are part of every key
/// it produces, so changing a recipe's logic invalidates exactly its results.
public protocol Rule: Sendable {
    var recipeName: String { get }
    var recipeVersion: Int { get }
    var kind: RuleKind { get }

    /// Derived and source nodes: compute the inputs and the output in memory,
    /// given the dependencies' results. Must not write anything.
    func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation

    /// Action nodes: the inputs that enter the key besides dependency outputs
    /// (which the engine adds itself).
    func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput]

    /// Action nodes: produce the outputs for `key`. Returns output files
    /// relative to the build directory; the engine hashes them and records
    /// them only after this returned successfully.
    func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String]

    /// Action nodes: outputs for `key` that already exist on disk although
    /// the state database has no record of them (it was deleted or rebuilt).
    /// Returning paths here lets the engine adopt them instead of running
    /// the rule — only when the rule can prove they are complete and belong
    /// to these inputs. Default: none.
    func adoptableOutputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult], key: NodeKey) throws -> [String]?

    /// The name under which a dependency's output enters this node's key.
    /// Rules make it role- and variant-neutral ("snapshot" rather than
    /// "snapshot/testing", "spec" rather than "spec/web@canary"), so the
    /// same build under another role or fleet has the same key.
    func inputName(for dependency: NodeID) -> String

    /// Called after the node's outputs became current (built, reused, or
    /// restored), e.g. to point `artifacts/out/<node>` at them.
    func activate(_ context: RuleContext, outputs: [NodeOutput]) throws

    /// What changed in the recipe since `recipe` (a recorded `name@version`),
    /// for the one explanation after an upgrade; nil: just the versions.
    func recipeNote(since recipe: String) -> String?
}

extension Rule {
    public func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        fatalError("\(recipeName) is an action rule; evaluate() is not used")
    }
    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] { [] }
    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        fatalError("\(recipeName) is not an action rule; run() is not used")
    }
    public func activate(_ context: RuleContext, outputs: [NodeOutput]) throws {}
    public func recipeNote(since recipe: String) -> String? { nil }
    public func inputName(for dependency: NodeID) -> String { dependency.name }
    public func adoptableOutputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult], key: NodeKey) throws -> [String]? { nil }
    public var recipe: String { "\(recipeName)@\(recipeVersion)" }
}

/// What rules may use while planning: the build directory root, the
/// digest cache, settings that enter every key, and the event sink.
public struct RuleContext: Sendable {
    public let root: String
    public let node: NodeID
    public let digests: any FileDigesting
    /// Values hashed into every key (e.g. "catalyst-flavor=4").
    public let keySalt: [String]
    public let events: any EventSink
    /// What the tools actions run are (`catalyst --version`), for their keys.
    public let tools: any ToolIdentifying
    /// How downloaded files were verified, so sources can refuse bytes that
    /// changed since (nil: no records, e.g. unit tests).
    public let verifications: (any VerificationRecords)?

    public init(root: String, node: NodeID, digests: any FileDigesting, keySalt: [String], events: any EventSink,
                tools: any ToolIdentifying = ToolIdentityProbe(database: nil),
                verifications: (any VerificationRecords)? = nil) {
        self.root = root; self.node = node; self.digests = digests; self.keySalt = keySalt; self.events = events
        self.tools = tools; self.verifications = verifications
    }

    public func path(_ relative: String) -> String { relative.hasPrefix("/") ? relative : root + "/" + relative }

    /// Replaces this directory's absolute path with `@ROOT@`, so digests of
    /// text that embeds paths do not change when the directory moves.
    public func normalize(_ text: String) -> String {
        text.replacingOccurrences(of: root, with: "@ROOT@")
    }
}

/// What an action rule gets while it runs: where to log, how to start
/// children so they are interruptible and keep the directory lock.
public struct RunContext: Sendable {
    public let rule: RuleContext
    /// Absolute path of this run's log file. Its directory is made when
    /// this is first read, so an action that writes no log makes no
    /// directory (one per action was a tenth of a first build's time).
    public var logPath: String { log.path() }
    private let log: LogLocation
    public let runId: String
    public let processes: ProcessGroupRegistry
    /// A file descriptor children inherit so they hold the directory lock
    /// until they exit (nil when not locked, e.g. in unit tests).
    public let inheritedLockDescriptor: Int32?

    public init(rule: RuleContext, logPath: String, runId: String, processes: ProcessGroupRegistry, inheritedLockDescriptor: Int32?) {
        self.rule = rule; self.log = LogLocation(logPath); self.runId = runId; self.processes = processes
        self.inheritedLockDescriptor = inheritedLockDescriptor
    }
}

/// A log file's path whose directory is made on first use. When that
/// fails, opening the log names the path and the reason.
private final class LogLocation: @unchecked Sendable {
    private let file: String
    private let lock = NSLock()
    private var made = false

    init(_ file: String) { self.file = file }

    func path() -> String {
        lock.lock(); defer { lock.unlock() }
        if !made {
            made = true
            try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
        }
        return file
    }
}

/// The records of downloads that passed verification (the state
/// database's `artifact` table), read by source rules before a file is used.
public protocol VerificationRecords: Sendable {
    /// The tagged SHA-256 (`sha256:…`) recorded when the file at `path`
    /// (relative to the build directory) passed verification; nil when it
    /// never did.
    func verifiedSHA256(of path: String) throws -> String?
}

extension StateDatabase: VerificationRecords {
    public func verifiedSHA256(of path: String) throws -> String? {
        try artifact(path: path)?.sha256
    }
}

/// Content digests of files, cached or not. The state layer's digest cache
/// implements it; tests may use `DirectFileDigester`.
public protocol FileDigesting: Sendable {
    func digest(of path: String) throws -> Digest
    /// Tells the digester a file's content digest learnt another way (a
    /// cache download hashed while it arrived), so the next command need
    /// not read it again. Ignoring it is always correct.
    func remember(_ digest: Digest, of path: String)
}

extension FileDigesting {
    public func remember(_ digest: Digest, of path: String) {}
}

/// Hashes every time; no cache.
public struct DirectFileDigester: FileDigesting {
    public init() {}
    public func digest(of path: String) throws -> Digest { try ContentHasher.digestFile(at: path) }
}
