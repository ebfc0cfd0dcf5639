import CBuildBasics
import CBuildState
import Foundation

/// The engine's use of the shared cache, kept apart from the algorithm:
/// an action node that would run is first looked up by key; a verified hit
/// is installed at its recorded paths and recorded as `fetched`, exactly
/// where a local build would have put it. In a plan the lookup alone says
/// "from cache", and the hit's outputs let dependents' keys be computed.
extension Engine {
    /// Real build: the node from the cache, or nil to run it locally.
    func fetchFromCache(_ id: NodeID, _ def: NodeDefinition, key: NodeKey, inputs: [NodeInput], explanation: Explanation,
                        runId: String, index: Int, total: Int) async -> Finished? {
        guard let cache, let hit = await cache.lookup(node: id, key: key.description) else { return nil }
        let start = now()
        events.emit(.nodeStarted(node: id.name, index: index, total: total, logPath: nil))
        guard await cache.install(hit, node: id) else { return nil }
        let expl = cacheExplanation(explanation, hit)
        do {
            let (result, dependency) = try recordFetched(id, def, hit, inputs: inputs, explanation: expl, runId: runId, start: start)
            events.emit(.nodeFinished(node: id.name, outcome: NodeResult.Outcome.fetched.rawValue, seconds: result.seconds,
                                      message: "from cache, built by \(hit.builtBy)"))
            return Finished(node: id, result: result, dependency: dependency)
        } catch {
            events.emit(.diagnostic(Diagnostic(.warning, "\(id): cannot record the build fetched from the cache (\(error)); building locally")))
            return nil
        }
    }

    /// Dry run: what the cache would give, without downloading anything.
    func planFromCache(_ id: NodeID, key: NodeKey, explanation: Explanation) async -> (NodeResult, DependencyResult)? {
        guard let cache, let hit = await cache.lookup(node: id, key: key.description) else { return nil }
        return (NodeResult(node: id, outcome: .wouldRun, explanation: cacheExplanation(explanation, hit), seconds: 0,
                           message: nil, logPath: nil, outputs: hit.outputs, key: key.description),
                DependencyResult(node: id, outputDigest: Engine.outputDigest(hit.outputs), display: nil,
                                 outputs: hit.outputs, key: key.description))
    }

    /// `--no-deps`. A requested node the cache holds is done without
    /// downloading it (nil: build it here). Any other action input must come
    /// from the cache — installed, since catalyst reads it — or the command
    /// ends with exit 2 naming it.
    func noDepsFromCache(_ id: NodeID, _ def: NodeDefinition, key: NodeKey, inputs: [NodeInput], explanation: Explanation,
                         requested: [NodeID], runId: String, dryRun: Bool) async throws -> (NodeResult, DependencyResult)? {
        let hit = await cache?.lookup(node: id, key: key.description)
        if requested.contains(id) {
            guard let hit else { return nil }
            var expl = cacheExplanation(explanation, hit)
            expl.verdict = .clean
            events.emit(.nodeFinished(node: id.name, outcome: NodeResult.Outcome.clean.rawValue, seconds: 0,
                                      message: "already in the cache, built by \(hit.builtBy)"))
            return (NodeResult(node: id, outcome: .clean, explanation: expl, seconds: 0, message: "already in the cache",
                               logPath: nil, outputs: hit.outputs, key: key.description),
                    DependencyResult(node: id, outputDigest: Engine.outputDigest(hit.outputs), display: nil,
                                     outputs: hit.outputs, key: key.description))
        }
        let consumer = requested.first { graph.closure(of: [$0]).contains(id) } ?? id
        guard let hit, let cache else { throw GraphError.inputNotAvailable(node: consumer, input: id) }
        if dryRun { return await planFromCache(id, key: key, explanation: explanation) }
        let start = now()
        guard await cache.install(hit, node: id) else { throw GraphError.inputNotAvailable(node: consumer, input: id) }
        let (result, dependency) = try recordFetched(id, def, hit, inputs: inputs, explanation: cacheExplanation(explanation, hit),
                                                     runId: runId, start: start)
        events.emit(.nodeFinished(node: id.name, outcome: NodeResult.Outcome.fetched.rawValue, seconds: result.seconds,
                                  message: "from cache, built by \(hit.builtBy)"))
        return (result, dependency)
    }

    private func cacheExplanation(_ explanation: Explanation, _ hit: CachedBuild) -> Explanation {
        var e = explanation
        e.verdict = .reuse
        e.reasons.append(.fromCache(entry: hit.entry, builtBy: hit.builtBy, at: hit.builtAt.timeIntervalSince1970))
        return e
    }

    /// Makes the installed outputs current: a `fetched` build row, then the
    /// rule's activation (the `artifacts/out/` link), as after a local build.
    private func recordFetched(_ id: NodeID, _ def: NodeDefinition, _ hit: CachedBuild, inputs: [NodeInput],
                               explanation: Explanation, runId: String, start: Date) throws -> (NodeResult, DependencyResult) {
        let end = now()
        let record = NodeBuildRecord(runId: runId, node: id.name, key: hit.key, recipe: def.rule.recipe, inputs: inputs,
                                     outputs: hit.outputs, state: .fetched, startedAt: start, endedAt: end,
                                     duration: end.timeIntervalSince(start))
        try database.recordBuild(record)
        // Every byte was hashed on the way in and checked against the
        // signed record: no need to read the files again next time.
        for o in hit.outputs {
            if let d = Digest(tagged: o.sha256) { digests.remember(d, of: root + "/" + o.path) }
        }
        try def.rule.activate(context(id), outputs: hit.outputs)
        let seconds = end.timeIntervalSince(start)
        return (NodeResult(node: id, outcome: .fetched, explanation: explanation, seconds: seconds,
                           message: "from cache, built by \(hit.builtBy)", logPath: nil, outputs: hit.outputs, key: hit.key),
                DependencyResult(node: id, outputDigest: Engine.outputDigest(hit.outputs), display: nil,
                                 outputs: hit.outputs, key: hit.key))
    }
}
