import CBuildBasics
import CBuildState
import Foundation

/// Brings nodes up to date. One algorithm serves builds, dry runs and
/// `--explain`: nodes are visited in dependency order; derived nodes are
/// evaluated in memory and written only when their content changed; an
/// action node's key is computed from its inputs and its dependencies'
/// output digests once those are known, and it runs only when no current
/// or intact earlier build has that key (so rollback and promotion are free,
/// and an unchanged output stops the rebuild from spreading: early cutoff).
/// Outputs are recorded only after the rule succeeded and the files were hashed.
public final class Engine: @unchecked Sendable {
    public struct Options: Sendable {
        public var jobs: Int = 1
        public var keepGoing: Bool = false
        public var dryRun: Bool = false
        /// Record bad input (a role that points nowhere) as the node's
        /// failure instead of ending the command: for `status` and `graph`.
        public var tolerateInputErrors: Bool = false
        /// Nodes whose failure does not stop the build (optional nightly targets).
        public var mayFail: Set<NodeID> = []
        /// `--no-deps`: run only the requested nodes; action inputs come from
        /// local builds or the cache (else exit 2), and a requested node whose
        /// key the cache holds is done (see Engine+Cache.swift).
        public var noDeps: Bool = false
        public init(jobs: Int = 1, keepGoing: Bool = false, dryRun: Bool = false, tolerateInputErrors: Bool = false,
                    mayFail: Set<NodeID> = [], noDeps: Bool = false) {
            self.jobs = max(1, jobs); self.keepGoing = keepGoing; self.dryRun = dryRun
            self.tolerateInputErrors = tolerateInputErrors; self.mayFail = mayFail; self.noDeps = noDeps
        }
    }

    public let graph: BuildGraph
    public let database: StateDatabase
    public let root: String
    public let digests: any FileDigesting
    public let keySalt: [String]
    public let events: any EventSink
    public let processes = ProcessGroupRegistry()
    public var inheritedLockDescriptor: Int32?
    public var now: @Sendable () -> Date = { Date() }
    /// Identifies the tools actions run (catalyst); the project's probe remembers answers in state.
    public var tools: any ToolIdentifying = ToolIdentityProbe(database: nil)
    /// Dependencies of the action being decided (read by `adopt`).
    private var pendingAdoption: [NodeID: DependencyResult]?
    /// Every node's current build, read in one query when a run starts and
    /// kept up to date as builds are recorded (one statement per node made a
    /// no-op build of a large graph slow). Heads only: the per-input hashes
    /// are read, one node at a time, when a key differs (`currentInputs`).
    private var currentByNode: [String: NodeBuildHead]?
    private let currentLock = NSLock()

    func currentBuild(_ id: NodeID) throws -> NodeBuildHead? {
        currentLock.lock(); defer { currentLock.unlock() }
        if currentByNode == nil { currentByNode = try database.currentBuildHeads() }
        return currentByNode?[id.name]
    }

    /// Nodes with any recorded attempt, read once per run (see `hasAttempts`).
    private var attemptedNodes: Set<String>?

    /// Whether `id` ever had an attempt: a node that never had one needs no
    /// query for its last attempt (one per node made a first build slower).
    /// Read when first needed; a run records attempts only for nodes it has
    /// already decided, so the set stays true for the nodes still to decide.
    func hasAttempts(_ id: NodeID) throws -> Bool {
        currentLock.lock(); defer { currentLock.unlock() }
        if attemptedNodes == nil { attemptedNodes = try database.nodesWithAttempts() }
        return attemptedNodes!.contains(id.name)
    }

    /// The inputs recorded with a node's current build, to say which changed.
    private func currentInputs(_ current: NodeBuildHead) throws -> [NodeInput] {
        try database.currentBuild(node: current.node)?.inputs ?? []
    }

    private func resetCurrentCache() {
        currentLock.lock(); defer { currentLock.unlock() }
        currentByNode = nil
        attemptedNodes = nil
    }

    private func setCurrent(_ record: NodeBuildRecord) {
        currentLock.lock(); defer { currentLock.unlock() }
        currentByNode?[record.node] = NodeBuildHead(record)
    }
    /// The shared cache, asked before an action runs and given each local build (nil: none).
    public var cache: (any ActionCache)?

    public init(graph: BuildGraph, database: StateDatabase, root: String, digests: any FileDigesting,
                keySalt: [String], events: any EventSink) {
        self.graph = graph; self.database = database; self.root = root; self.digests = digests
        self.keySalt = keySalt; self.events = events
    }

    /// Passes an interrupt to every running child's process group.
    public func interrupt() { processes.interruptAll(SIGTERM) }

    /// Plans without running or writing anything: what would run and why.
    public func plan(_ requested: [NodeID], tolerateInputErrors: Bool = false) async throws -> BuildSummary {
        try await execute(requested, options: Options(keepGoing: true, dryRun: true, tolerateInputErrors: tolerateInputErrors))
    }

    /// Brings `requested` and their inputs up to date.
    public func build(_ requested: [NodeID], options: Options) async throws -> BuildSummary {
        try await execute(requested, options: options)
    }

    // MARK: - the algorithm

    struct Finished: Sendable {
        var node: NodeID
        var result: NodeResult
        var dependency: DependencyResult?
    }

    private func execute(_ requested: [NodeID], options: Options) async throws -> BuildSummary {
        resetCurrentCache()
        let order = graph.closure(of: requested)
        let runId = Engine.makeRunId(now())
        var results: [NodeID: NodeResult] = [:]
        var available = Availability(graph: graph, nodes: order)
        /// Dry run: action nodes whose output is unknown until they run.
        var pending = Set<NodeID>()
        var failed = Set<NodeID>()
        var remaining = order
        let actionTotal = order.filter { graph[$0]!.rule.kind == .action }.count
        var started = 0
        var stop = false
        /// Nodes prepared ahead, together with a node before them (Engine+Prepare.swift).
        var prepared: [NodeID: Result<Prepared, any Error>] = [:]
        if !options.dryRun && !options.tolerateInputErrors {
            try validateInputs(order, available: &available, prepared: &prepared)
        }

        try await withThrowingTaskGroup(of: Finished.self) { group in
            var running = 0
            var inFlight = Set<NodeID>()
            while true {
                // Visit every node whose dependencies are settled, in order.
                var progressed = true
                while progressed && !stop {
                    progressed = false
                    var i = 0
                    while i < remaining.count {
                        let id = remaining[i]
                        let def = graph[id]!
                        let deps = def.dependencies
                        // `index(forKey:)`, not `results[$0] == nil`: the subscript copies
                        // the whole result (strings, explanation) to compare it with nil,
                        // and this scan runs again after every finished action.
                        if deps.contains(where: { results.index(forKey: $0) == nil }) { i += 1; continue }
                        if def.rule.kind == .action && running >= options.jobs && !options.dryRun {
                            // wait for a slot, but keep visiting cheap nodes
                            if deps.allSatisfy({ available.has($0) }) { i += 1; continue }
                        }
                        remaining.remove(at: i)
                        progressed = true
                        // Blocked by a failed or (dry run) pending dependency?
                        if let bad = deps.first(where: { failed.contains($0) }) {
                            failed.insert(id)
                            var skipped = skippedResult(id, def, because: bad, cause: results[bad]?.message)
                            skipped.hint = results[bad]?.hint
                            results[id] = skipped
                            continue
                        }
                        let pendingDeps = deps.filter { pending.contains($0) }
                        if !pendingDeps.isEmpty {
                            pending.insert(id)
                            results[id] = try pendingResult(id, def, dependencies: pendingDeps, known: available.results)
                            continue
                        }
                        let depResults = Dictionary(uniqueKeysWithValues: deps.map { ($0, available[$0]!) })
                        let preparedNode: () -> Result<Prepared, any Error> = { [self] in
                            prepared.removeValue(forKey: id)
                                ?? prepareTogether(ReadyNode(id: id, definition: def, dependencies: depResults),
                                                   available: &available, prepared: &prepared)
                        }
                        switch def.rule.kind {
                        case .phony:
                            let r = phony(id, depResults)
                            results[id] = Engine.attach(r.0, r.1); available[id] = r.1
                        case .source, .derived:
                            do {
                                let (res, dep) = try evaluateDerived(id, def, preparedNode(), runId: runId, dryRun: options.dryRun)
                                results[id] = Engine.attach(res, dep); available[id] = dep
                            } catch let error as UserError where error.exitStatus != .nodeFailed && !options.tolerateInputErrors {
                                // Bad input (a role that points nowhere, a value catalyst
                                // cannot carry) ends the command before anything runs.
                                throw error
                            } catch {
                                failed.insert(id)
                                results[id] = failure(id, def, error, emit: !options.dryRun)
                                if !options.keepGoing && !options.dryRun { stop = true }
                            }
                        case .action:
                            let decision: ActionDecision
                            do {
                                decision = try decideAction(id, def, depResults, preparedNode())
                            } catch {
                                failed.insert(id)
                                results[id] = failure(id, def, error, emit: !options.dryRun)
                                if !options.keepGoing { stop = true }
                                continue
                            }
                            switch decision {
                            case let .clean(res, dep):
                                results[id] = Engine.attach(res, dep); available[id] = dep
                            case let .reuse(res, dep, record):
                                if options.dryRun {
                                    var r = res; r.outcome = .wouldRun
                                    results[id] = Engine.attach(r, dep); available[id] = dep
                                } else {
                                    do {
                                        try makeCurrent(id, def, record: record, runId: runId, explanation: res.explanation)
                                        results[id] = Engine.attach(res, dep); available[id] = dep
                                    } catch {
                                        failed.insert(id); results[id] = failure(id, def, error)
                                    }
                                }
                            case let .build(explanation, key, inputs):
                                let fromCache: (NodeResult, DependencyResult)?
                                if options.noDeps {
                                    fromCache = try await noDepsFromCache(id, def, key: key, inputs: inputs, explanation: explanation,
                                                                          requested: requested, runId: runId, dryRun: options.dryRun)
                                } else if options.dryRun {
                                    fromCache = await planFromCache(id, key: key, explanation: explanation)
                                } else {
                                    fromCache = nil
                                }
                                if let (res, dep) = fromCache {
                                    results[id] = Engine.attach(res, dep); available[id] = dep
                                } else if options.dryRun {
                                    pending.insert(id)
                                    results[id] = NodeResult(node: id, outcome: .wouldRun, explanation: explanation,
                                                             seconds: 0, message: nil, logPath: nil, outputs: [], key: key.description)
                                } else {
                                    started += 1
                                    running += 1
                                    inFlight.insert(id)
                                    let index = started
                                    let askCache = !options.noDeps
                                    group.addTask { [self] in
                                        if askCache, let fetched = await self.fetchFromCache(id, def, key: key, inputs: inputs, explanation: explanation,
                                                                                             runId: runId, index: index, total: actionTotal) {
                                            return fetched
                                        }
                                        return await self.runAction(id, def, depResults, key: key, inputs: inputs,
                                                             explanation: explanation, runId: runId,
                                                             index: index, total: actionTotal)
                                    }
                                }
                            }
                        }
                    }
                }
                if running == 0 { break }
                guard let finished = try await group.next() else { break }
                running -= 1
                inFlight.remove(finished.node)
                results[finished.node] = finished.dependency.map { Engine.attach(finished.result, $0) } ?? finished.result
                if let dep = finished.dependency {
                    available[finished.node] = dep
                } else {
                    failed.insert(finished.node)
                    if (!options.keepGoing && !options.mayFail.contains(finished.node)) || finished.result.outcome == .interrupted {
                        stop = true
                    }
                }
                if processes.isInterrupted { stop = true }
            }
        }
        // Nodes never visited because the build stopped early.
        for id in remaining where results[id] == nil {
            let def = graph[id]!
            let why = processes.isInterrupted ? "interrupted before it started" : "not started: an earlier node failed"
            results[id] = NodeResult(node: id, outcome: .skipped,
                                     explanation: Explanation(node: id, kind: def.rule.kind, verdict: .blocked, reasons: [], key: nil, previousKey: nil),
                                     seconds: 0, message: why, logPath: nil, outputs: [], key: nil)
        }
        return BuildSummary(requested: requested, results: order.compactMap { results[$0] },
                            interrupted: processes.isInterrupted)
    }

    // MARK: - bad input first

    /// A build refused for bad input records nothing: every source node,
    /// and every derived node whose inputs are all such nodes, is prepared
    /// before the first node is recorded, and bad input (a role that points
    /// nowhere, a snapshot changed since verification, a value catalyst
    /// cannot carry) ends the command here. What was prepared is kept for
    /// the loop, so nothing is evaluated twice.
    private func validateInputs(_ order: [NodeID], available: inout Availability,
                                prepared: inout [NodeID: Result<Prepared, any Error>]) throws {
        var known: [NodeID: DependencyResult] = [:]
        var remaining = order.filter { graph[$0]!.rule.kind == .source || graph[$0]!.rule.kind == .derived }
        while !remaining.isEmpty {
            let wave = remaining.filter { id in graph[id]!.dependencies.allSatisfy { known[$0] != nil } }
            if wave.isEmpty { break }
            let waveSet = Set(wave)
            remaining.removeAll { waveSet.contains($0) }
            let nodes = wave.map { id in
                ReadyNode(id: id, definition: graph[id]!,
                          dependencies: Dictionary(uniqueKeysWithValues: graph[id]!.dependencies.map { ($0, known[$0]!) }))
            }
            let outcomes = Engine.concurrentMap(nodes, concurrency: Engine.cores) { [self] node in Result { try prepare(node) } }
            for (node, outcome) in zip(nodes, outcomes) {
                switch outcome {
                case let .failure(error as UserError) where error.exitStatus != .nodeFailed:
                    throw error
                case let .success(.derived(ev, _, key, outputs, _)):
                    known[node.id] = DependencyResult(node: node.id, outputDigest: ev.outputDigest, display: ev.display,
                                                      outputs: outputs, key: key.description)
                default:
                    break
                }
                prepared[node.id] = outcome
                available.handled.insert(node.id)
            }
        }
    }

    // MARK: - phony

    private func phony(_ id: NodeID, _ deps: [NodeID: DependencyResult]) -> (NodeResult, DependencyResult) {
        let h = ContentHasher(.sha256)
        for (k, v) in deps.sorted(by: { $0.key < $1.key }) { h.update("\(k.name)\0\(v.outputDigest)\0") }
        let digest = h.finalize().description
        let expl = Explanation(node: id, kind: .phony, verdict: .clean, reasons: [], key: nil, previousKey: nil)
        return (NodeResult(node: id, outcome: .clean, explanation: expl, seconds: 0, message: nil, logPath: nil, outputs: [], key: nil),
                DependencyResult(node: id, outputDigest: digest, display: nil, outputs: [], key: nil))
    }

    // MARK: - derived and source nodes

    func context(_ id: NodeID) -> RuleContext {
        RuleContext(root: root, node: id, digests: digests, keySalt: keySalt, events: events, tools: tools,
                    verifications: database)
    }

    private func evaluateDerived(_ id: NodeID, _ def: NodeDefinition, _ prepared: Result<Prepared, any Error>,
                                 runId: String, dryRun: Bool) throws -> (NodeResult, DependencyResult) {
        let start = now()
        guard case let .derived(ev, inputs, key, outputs, toWrite) = try prepared.get() else {
            fatalError("\(id) was prepared as an action")
        }
        let current = try currentBuild(id)
        var reasons: [Reason] = []
        var changed = false
        var quietRecord = false
        if let current {
            if current.recipe != def.rule.recipe { reasons.append(.recipeChanged(old: current.recipe, new: def.rule.recipe, note: def.rule.recipeNote(since: current.recipe))); changed = true }
            if current.message != ev.display || current.key != key.description {
                reasons += InputDiff.reasons(old: try currentInputs(current), new: inputs)
                // Only a different output is a change dependents see; new inputs
                // with the same output are recorded quietly (early cutoff).
                if current.message != ev.display || Engine.outputDigest(current.outputs) != Engine.outputDigest(outputs) {
                    changed = true
                } else {
                    quietRecord = true
                }
            }
        } else {
            reasons.append(.neverBuilt)
            changed = true
        }
        // Files whose bytes on disk differ (moved directory, deleted file) are
        // rewritten without counting as a change of the node's identity.
        if !dryRun {
            for f in toWrite { try Engine.writeAtomically(root + "/" + f.path, f.contents, mode: f.mode) }
            if changed || quietRecord {
                var record = NodeBuildRecord(runId: runId, node: id.name, key: key.description, recipe: def.rule.recipe,
                                             inputs: inputs, outputs: outputs, state: .succeeded, startedAt: start,
                                             endedAt: now(), duration: now().timeIntervalSince(start))
                record.message = ev.display
                record.id = try database.recordBuild(record)
                setCurrent(record)
            }
            try def.rule.activate(context(id), outputs: outputs)
        }
        let verdict: Verdict = changed ? .update : .clean
        let outcome: NodeResult.Outcome = changed ? (dryRun ? .wouldRun : .updated) : .clean
        let expl = Explanation(node: id, kind: def.rule.kind, verdict: verdict, reasons: changed ? reasons : [],
                               key: key.description, previousKey: current?.key)
        return (NodeResult(node: id, outcome: outcome, explanation: expl, seconds: now().timeIntervalSince(start),
                           message: nil, logPath: nil, outputs: outputs, key: key.description),
                DependencyResult(node: id, outputDigest: ev.outputDigest, display: ev.display, outputs: outputs, key: key.description))
    }

    func outputsOf(_ ev: Evaluation) -> [NodeOutput] {
        var outputs = ev.existingOutputs
        for f in ev.files {
            outputs.append(NodeOutput(path: f.path, sha256: ContentHasher.digest(.sha256, f.contents).description,
                                      size: Int64(f.contents.count)))
        }
        return outputs
    }

    func dependencyInputs(_ rule: any Rule, _ deps: [NodeID: DependencyResult]) -> [NodeInput] {
        deps.values.map { d in
            let name = rule.inputName(for: d.node)
            return NodeInput(name: name, digest: d.outputDigest, display: d.display,
                             label: name == d.node.name ? nil : d.node.name)
        }
    }

    // MARK: - action nodes

    private enum ActionDecision {
        case clean(NodeResult, DependencyResult)
        case reuse(NodeResult, DependencyResult, NodeBuildRecord)
        case build(Explanation, NodeKey, [NodeInput])
    }

    private func decideAction(_ id: NodeID, _ def: NodeDefinition, _ deps: [NodeID: DependencyResult],
                              _ prepared: Result<Prepared, any Error>) throws -> ActionDecision {
        pendingAdoption = deps
        defer { pendingAdoption = nil }
        guard case let .action(inputs, key, damaged) = try prepared.get() else {
            fatalError("\(id) was prepared as a derived node")
        }
        let current = try currentBuild(id)
        if let current, current.key == key.description {
            if let missing = try damaged ?? firstDamagedOutput(current.outputs) {
                // fall through to reuse/build with the reason recorded below
                return try reuseOrBuild(id, def, key: key, inputs: inputs, current: current,
                                        reasons: [.outputMissing(path: missing)])
            }
            let expl = Explanation(node: id, kind: .action, verdict: .clean, reasons: [], key: key.description, previousKey: current.key)
            return .clean(NodeResult(node: id, outcome: .clean, explanation: expl, seconds: 0, message: nil,
                                     logPath: nil, outputs: current.outputs, key: key.description),
                          DependencyResult(node: id, outputDigest: Engine.outputDigest(current.outputs),
                                           display: current.message, outputs: current.outputs, key: key.description))
        }
        var reasons: [Reason] = []
        if let current {
            if current.recipe != def.rule.recipe {
                reasons.append(.recipeChanged(old: current.recipe, new: def.rule.recipe, note: def.rule.recipeNote(since: current.recipe)))
            }
            reasons += InputDiff.reasons(old: try currentInputs(current), new: inputs)
            if reasons.isEmpty { reasons.append(.settingsChanged(old: [], new: keySalt)) }
            // A failed or interrupted attempt since: say so, but compare with
            // the good build (the attempt's inputs were never an output's).
            if let last = try database.lastAttempt(node: id.name), let lastId = last.id,
               lastId > current.id, !last.state.isGood, last.state != .running {
                reasons.insert(.lastAttemptFailed(node: id.name, state: last.state.rawValue,
                                                  at: last.startedAt.timeIntervalSince1970), at: 0)
            }
        } else if try hasAttempts(id), let last = try database.lastAttempt(node: id.name) {
            if last.state != .succeeded { reasons.append(.previousAttempt(state: last.state.rawValue, message: last.message)) }
            if last.key != key.description {
                let diff = InputDiff.reasons(old: last.inputs, new: inputs)
                reasons += diff.isEmpty && last.state.isGood ? [.neverBuilt] : diff
            }
            if reasons.isEmpty { reasons.append(.neverBuilt) }
        } else {
            reasons.append(.neverBuilt)
        }
        return try reuseOrBuild(id, def, key: key, inputs: inputs, current: current, reasons: reasons)
    }

    private func reuseOrBuild(_ id: NodeID, _ def: NodeDefinition, key: NodeKey, inputs: [NodeInput],
                              current: NodeBuildHead?, reasons: [Reason]) throws -> ActionDecision {
        for earlier in try database.goodBuilds(key: key.description) where earlier.recipe == def.rule.recipe {
            if try firstDamagedOutput(earlier.outputs) == nil {
                let expl = Explanation(node: id, kind: .action, verdict: .reuse,
                                       reasons: reasons + [.reusesEarlierBuild(id: earlier.id ?? 0, node: earlier.node,
                                                                               at: earlier.startedAt.timeIntervalSince1970)],
                                       key: key.description, previousKey: current?.key)
                return .reuse(NodeResult(node: id, outcome: .reused, explanation: expl, seconds: 0, message: nil,
                                         logPath: earlier.logPath, outputs: earlier.outputs, key: key.description),
                              DependencyResult(node: id, outputDigest: Engine.outputDigest(earlier.outputs),
                                               display: earlier.message, outputs: earlier.outputs, key: key.description),
                              earlier)
            }
        }
        if current == nil, try !hasAttempts(id) || database.lastAttempt(node: id.name) == nil, let adopted = try adopt(id, def, key: key, inputs: inputs) {
            let expl = Explanation(node: id, kind: .action, verdict: .reuse,
                                   reasons: [.adoptedFromFiles(paths: adopted.outputs.map(\.path))],
                                   key: key.description, previousKey: nil)
            return .reuse(NodeResult(node: id, outcome: .reused, explanation: expl, seconds: 0, message: nil,
                                     logPath: nil, outputs: adopted.outputs, key: key.description),
                          DependencyResult(node: id, outputDigest: Engine.outputDigest(adopted.outputs),
                                           display: nil, outputs: adopted.outputs, key: key.description),
                          adopted)
        }
        let expl = Explanation(node: id, kind: .action, verdict: .build, reasons: reasons,
                               key: key.description, previousKey: current?.key)
        return .build(expl, key, inputs)
    }

    /// Outputs of this key found on disk without a record (state database
    /// lost): hashed and offered for reuse when the rule vouches for them.
    /// Dependencies are needed for that, so adoption is planned in
    /// `decideAction` through `pendingAdoption`.
    private func adopt(_ id: NodeID, _ def: NodeDefinition, key: NodeKey, inputs: [NodeInput]) throws -> NodeBuildRecord? {
        guard let deps = pendingAdoption, let paths = try def.rule.adoptableOutputs(context(id), dependencies: deps, key: key),
              !paths.isEmpty else { return nil }
        var outputs: [NodeOutput] = []
        for p in paths {
            let full = root + "/" + p
            guard let st = try? FileStat.of(full, followSymlinks: true) else { return nil }
            outputs.append(NodeOutput(path: p, sha256: try digests.digest(of: full).description, size: st.size))
        }
        var r = NodeBuildRecord(runId: "adopted", node: id.name, key: key.description, recipe: def.rule.recipe,
                                inputs: inputs, outputs: outputs, state: .reused, startedAt: now())
        r.id = 0
        r.message = "adopted from files found on disk"
        return r
    }

    /// The first recorded output that is missing or whose content no longer
    /// matches (checked through the digest cache: cheap when unchanged).
    func firstDamagedOutput(_ outputs: [NodeOutput]) throws -> String? {
        for o in outputs {
            // A missing file fails the digest's stat: no separate existence check.
            guard let d = try? digests.digest(of: root + "/" + o.path), d.description == o.sha256 else { return o.path }
        }
        return nil
    }

    private func makeCurrent(_ id: NodeID, _ def: NodeDefinition, record: NodeBuildRecord, runId: String, explanation: Explanation) throws {
        let at = now()
        var r = NodeBuildRecord(runId: runId, node: id.name, key: record.key, recipe: record.recipe, inputs: record.inputs,
                                outputs: record.outputs, state: .reused, startedAt: at, endedAt: at, duration: 0,
                                logPath: record.logPath, message: record.message)
        r.message = record.message
        r.id = try database.recordBuild(r)
        setCurrent(r)
        try def.rule.activate(context(id), outputs: record.outputs)
        events.emit(.nodeFinished(node: id.name, outcome: "reused", seconds: 0, message: "same key as build #\(record.id ?? 0)"))
    }

    private func runAction(_ id: NodeID, _ def: NodeDefinition, _ deps: [NodeID: DependencyResult], key: NodeKey,
                           inputs: [NodeInput], explanation: Explanation, runId: String, index: Int, total: Int) async -> Finished {
        let start = now()
        // State and results name the log relative to the build directory
        // (a moved or cloned directory reads its own logs); the rule gets
        // the absolute path to write to.
        let logDir = root + "/.cache/logs/" + id.name
        let logPath = logDir + "/\(runId).log"
        let recordedLog = Engine.logPath(node: id, runId: runId)
        var buildId: Int64?
        var started: NodeBuildRecord?
        func finish(_ outcome: NodeResult.Outcome, _ message: String?, outputs: [NodeOutput] = [],
                    dependency: DependencyResult? = nil) -> Finished {
            let secs = now().timeIntervalSince(start)
            events.emit(.nodeFinished(node: id.name, outcome: outcome.rawValue, seconds: secs, message: message))
            return Finished(node: id, result: NodeResult(node: id, outcome: outcome, explanation: explanation, seconds: secs,
                                                         message: message, logPath: recordedLog, outputs: outputs, key: key.description),
                            dependency: dependency)
        }
        do {
            let record = NodeBuildRecord(runId: runId, node: id.name, key: key.description, recipe: def.rule.recipe,
                                         inputs: inputs, state: .running, startedAt: start, logPath: recordedLog)
            buildId = try database.beginBuild(record)
            started = record
        } catch {
            return finish(.failed, "cannot start: \(error)")
        }
        events.emit(.nodeStarted(node: id.name, index: index, total: total, logPath: logPath))
        let ctx = RunContext(rule: context(id), logPath: logPath, runId: runId, processes: processes,
                             inheritedLockDescriptor: inheritedLockDescriptor)
        do {
            let paths = try await def.rule.run(ctx, dependencies: deps, key: key)
            var outputs: [NodeOutput] = []
            for p in paths {
                let full = root + "/" + p
                // A stat, not FileManager's attributes: those look up the
                // owner's and group's names (passwd, group) for every output.
                guard let st = try? FileStat.of(full, followSymlinks: true) else {
                    throw GraphError.missingOutput(node: id, path: p)
                }
                let d = try digests.digest(of: full)
                outputs.append(NodeOutput(path: p, sha256: d.description, size: st.size))
            }
            try database.finishBuild(id: buildId!, state: .succeeded, outputs: outputs, endedAt: now())
            if var done = started {
                done.id = buildId; done.state = .succeeded; done.outputs = outputs
                setCurrent(done)
            }
            try def.rule.activate(ctx.rule, outputs: outputs)
            let built = finish(.built, nil, outputs: outputs,
                               dependency: DependencyResult(node: id, outputDigest: Engine.outputDigest(outputs), display: nil,
                                                            outputs: outputs, key: key.description))
            await cache?.push(node: id, key: key.description, recipe: def.rule.recipe, inputs: inputs, outputs: outputs,
                              duration: built.result.seconds)
            return built
        } catch {
            let interrupted = (error as? RuleFailure)?.interrupted == true || processes.isInterrupted
            let message = relative("\(error)")
            try? database.finishBuild(id: buildId!, state: interrupted ? .interrupted : .failed, outputs: [],
                                      endedAt: now(), message: message)
            return finish(interrupted ? .interrupted : .failed, message)
        }
    }

    // MARK: - results for blocked nodes

    private func skippedResult(_ id: NodeID, _ def: NodeDefinition, because dep: NodeID, cause: String?) -> NodeResult {
        // Name the root cause, not only the nearest failed input.
        let why: String
        if let cause, cause.hasPrefix("not built: ") { why = cause }
        else { why = "not built: \(dep) failed" + (cause.map { ": " + $0.split(separator: "\n")[0] } ?? "") }
        return NodeResult(node: id, outcome: .skipped,
                          explanation: Explanation(node: id, kind: def.rule.kind, verdict: .blocked,
                                                   reasons: [.previousAttempt(state: "blocked", message: "\(dep) failed")],
                                                   key: nil, previousKey: nil),
                          seconds: 0, message: why, logPath: nil, outputs: [], key: nil)
    }

    private func pendingResult(_ id: NodeID, _ def: NodeDefinition, dependencies: [NodeID],
                               known: [NodeID: DependencyResult]) throws -> NodeResult {
        let current = try currentBuild(id)
        var reasons: [Reason] = dependencies.sorted().map { .dependencyRebuilds($0) }
        if current == nil { reasons.insert(.neverBuilt, at: 0) }
        return NodeResult(node: id, outcome: def.rule.kind == .phony ? .clean : .wouldRun,
                          explanation: Explanation(node: id, kind: def.rule.kind,
                                                   verdict: def.rule.kind == .phony ? .clean : (def.rule.kind == .action ? .build : .update),
                                                   reasons: reasons, key: nil, previousKey: current?.key),
                          seconds: 0, message: nil, logPath: nil, outputs: [], key: nil)
    }

    private func failure(_ id: NodeID, _ def: NodeDefinition, _ error: Error, emit: Bool = true) -> NodeResult {
        let text = (error as? UserError).map { $0.message } ?? "\(error)"
        if emit { events.emit(.nodeFinished(node: id.name, outcome: "failed", seconds: 0, message: "\(error)")) }
        var r = NodeResult(node: id, outcome: .failed,
                           explanation: Explanation(node: id, kind: def.rule.kind, verdict: .blocked, reasons: [], key: nil, previousKey: nil),
                           seconds: 0, message: text, logPath: nil, outputs: [], key: nil)
        r.hint = (error as? UserError)?.hint
        return r
    }

    // MARK: - helpers

    static func attach(_ r: NodeResult, _ d: DependencyResult) -> NodeResult {
        var r = r
        r.outputDigest = d.outputDigest
        r.display = d.display
        return r
    }

    /// Evaluates a derived node in memory after planning its dependencies,
    /// without writing anything: what `cbuild spec` prints. Fails when a
    /// dependency's output is not known yet (an action that must run first).
    public func evaluate(_ id: NodeID) async throws -> Evaluation {
        guard let def = graph[id] else { throw GraphError.unknownNode(id.name, suggestion: nil) }
        let plan = try await self.plan(def.dependencies)
        var deps: [NodeID: DependencyResult] = [:]
        for d in def.dependencies {
            guard let r = plan.result(d), let digest = r.outputDigest else {
                throw GraphError.ruleFailed(node: id, message: "its input \(d) has not been built yet; run `cbuild \(d)` first")
            }
            deps[d] = DependencyResult(node: d, outputDigest: digest, display: r.display, outputs: r.outputs, key: r.key)
        }
        return try def.rule.evaluate(context(id), dependencies: deps)
    }

    /// The identity dependents hash for an action node: its outputs' content
    /// digests, not their paths, so a rebuild with identical bytes cuts off.
    public static func outputDigest(_ outputs: [NodeOutput]) -> String {
        let h = ContentHasher(.sha256)
        for o in outputs { h.update("\(o.sha256)\0") }
        return h.finalize().description
    }

    /// Where a run's log is, relative to the build directory.
    public static func logPath(node: NodeID, runId: String) -> String { ".cache/logs/\(node.name)/\(runId).log" }

    /// `text` with this directory's absolute path made relative, for what
    /// is recorded (state and reports never name the directory itself).
    func relative(_ text: String) -> String {
        text.replacingOccurrences(of: root + "/", with: "").replacingOccurrences(of: root, with: ".")
    }

    public static func makeRunId(_ date: Date) -> String { "\(UTCTimestamp.compact(date))-\(getpid())" }

    /// Writes through a temporary file and rename, so readers never see half a file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: Int) throws {
        try AtomicFile.write(path, bytes, mode: mode)
    }
}
