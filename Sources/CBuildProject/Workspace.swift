import CBuildArtifacts
import CBuildBasics
import CBuildCache
import CBuildCatalyst
import CBuildConfig
import CBuildGraph
import CBuildPublish
import CBuildState
import Foundation

/// Everything a command works with, opened in the order that keeps bad
/// input from touching state: discover the directory, load and validate the
/// configuration (exit 2, nothing written; its warnings shown), refuse a
/// build that would publish with a credential file git does not ignore
/// (exit 2), take the lock (exit 4), open
/// the database (rebuilt with a warning when corrupt), recover builds a
/// killed cbuild left running, notice a moved directory, build the graph.
public final class Workspace: @unchecked Sendable {
    public enum Access: Sendable { case readOnly, mutating }

    public let directory: BuildDirectory
    public let configuration: BuildConfiguration
    public let database: StateDatabase
    public let digests: DigestCache
    public let lock: DirectoryLock
    public let graph: BuildGraph
    public let events: any EventSink
    public let access: Access
    /// `[cache]`: the shared remote cache every engine of this command uses (nil: none).
    public let cache: RemoteCache?

    public var root: String { directory.root }
    public var catalyst: CatalystConf { ProjectGraph.catalystConf(configuration) }

    public static func open(cwd: String = FileManager.default.currentDirectoryPath, explicit: String?,
                            access: Access, command: String, events: any EventSink,
                            graphOptions: ProjectGraph.Options = .init(), naming: [String] = [],
                            building: [String]? = nil) throws -> Workspace {
        // `building`: the node names a build command brings up to date (nil: it builds nothing).
        let directory = try BuildDirectory.discover(from: cwd, explicit: explicit)
        let configuration = try BuildConfiguration.load(directory)
        var graphOptions = graphOptions
        // `stage4/NAME@testing` (what the nightly builds) can be named by
        // log, history, status and explain: the graph then has those variants.
        if graphOptions.roleVariants == nil, naming.contains(where: { $0.hasSuffix("@" + Nightly.testingRole) }) {
            graphOptions.roleVariants = (role: Nightly.testingRole, targets: configuration.targets.keys.sorted())
        }
        let graph = try ProjectGraph.build(configuration, options: graphOptions)
        if let building {
            try refuseUnignoredCredentials(graph, try graph.lookup(building.isEmpty ? configuration.project.defaultNodes : building))
        }
        for warning in configuration.warnings { events.emit(.diagnostic(warning)) }
        let lock = try DirectoryLock.acquire(cacheDirectory: directory.cacheDirectory,
                                             mode: access == .mutating ? .exclusive : .shared, command: command)
        if let holder = lock.writerHolding {
            events.emit(.diagnostic(Diagnostic(.note, "a build is running (pid \(holder.pid): \(holder.command)); showing the state recorded so far")))
        }
        let (database, recovered) = try StateDatabase.open(at: directory.cacheDirectory + "/state.db")
        if let recovered { events.emit(.diagnostic(Diagnostic(.warning, recovered))) }
        let ws = Workspace(directory: directory, configuration: configuration, database: database,
                           digests: DigestCache(database: database, root: directory.root), lock: lock, graph: graph, events: events, access: access,
                           cache: ProjectCache.make(configuration, events: events))
        if access == .mutating {
            let abandoned = try database.recoverAbandonedBuilds(now: Date())
            for r in abandoned {
                events.emit(.diagnostic(Diagnostic(.warning, "\(r.node): the run started \(r.startedAt) never finished (cbuild was killed); recorded as interrupted, it will run again")))
            }
        }
        if lock.writerHolding == nil { try ws.noticeMove() }
        return ws
    }

    private init(directory: BuildDirectory, configuration: BuildConfiguration, database: StateDatabase,
                 digests: DigestCache, lock: DirectoryLock, graph: BuildGraph, events: any EventSink, access: Access,
                 cache: RemoteCache?) {
        self.directory = directory; self.configuration = configuration; self.database = database
        self.digests = digests; self.lock = lock; self.graph = graph; self.events = events; self.access = access
        self.cache = cache
        self.tools = ToolIdentityProbe(database: database)
    }

    /// Catalyst's identity, probed once per command and remembered in state.
    public let tools: ToolIdentityProbe

    /// When the directory was moved or cloned since the last command, say so
    /// in one line; rendering `init` rewrites catalyst.conf with the new
    /// paths and rebuilds nothing (keys never contain the path).
    /// The directory is recognised by a digest of its path: state names no
    /// absolute path of the directory, so a moved one has nothing stale.
    private func noticeMove() throws {
        let previous = try database.meta("root_digest")
        let current = ContentHasher.digest(.sha256, root).description
        if let previous, previous != current {
            events.emit(.diagnostic(Diagnostic(.note, "build directory moved or copied to \(root); re-rendering catalyst.conf (nothing needs rebuilding)")))
        }
        if previous != current || !FileManager.default.fileExists(atPath: root + "/" + InitRule.confFile) {
            _ = try renderInit()
            try database.setMeta("root_digest", current)
        }
    }

    /// Brings `init` up to date; returns whether its files changed.
    @discardableResult
    public func renderInit() throws -> Bool {
        guard let def = graph[NodeID("init")] else { return false }
        let ctx = RuleContext(root: root, node: "init", digests: digests, keySalt: ProjectGraph.keySalt(configuration), events: events)
        let ev = try def.rule.evaluate(ctx, dependencies: [:])
        var changed = false
        for f in ev.files {
            let full = root + "/" + f.path
            if let data = FileManager.default.contents(atPath: full), [UInt8](data) == f.contents { continue }
            try Engine.writeAtomically(full, f.contents, mode: f.mode)
            changed = true
        }
        try def.rule.activate(ctx, outputs: [])
        return changed
    }

    public func engine() -> Engine {
        let e = Engine(graph: graph, database: database, root: root, digests: digests,
                       keySalt: ProjectGraph.keySalt(configuration), events: events)
        e.inheritedLockDescriptor = lock.writerHolding == nil && access == .mutating ? lock.inheritableDescriptor : nil
        e.cache = cache
        e.tools = tools
        return e
    }

    /// Refuses (exit 2, before the lock, the database or any build) to
    /// publish an `azure/NAME` node among `nodes` and their dependencies
    /// whose SAS URL file `.gitignore` does not list. Other commands only
    /// warn of it (`BuildConfiguration.warnings`).
    private static func refuseUnignoredCredentials(_ graph: BuildGraph, _ nodes: [NodeID]) throws {
        for id in graph.closure(of: nodes) {
            guard let rule = graph[id]?.rule as? AzurePublishRule, let at = rule.settings.unignoredAt else { continue }
            let (problem, hint) = rule.settings.unignoredProblem
            throw ConfigError.invalidValue(at, key: AzurePublishConfig.sasKey, problem: "\(problem); \(id) is not published with it",
                                           hint: hint)
        }
    }

    /// Resolves node names typed by the user (default: `[project] default`).
    public func nodes(_ names: [String]) throws -> [NodeID] {
        try graph.lookup(names.isEmpty ? configuration.project.defaultNodes : names)
    }

    /// Flushes cached digests and releases the lock.
    public func close() {
        cache?.close()
        try? digests.flush()
        lock.release()
    }
}

extension DigestCache: FileDigesting {}
