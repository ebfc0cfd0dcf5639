import CBuildBasics
import CBuildState
import Dispatch
import Foundation

/// The part of deciding a node that reads the world but no engine state:
/// a rule's inputs or evaluation, the key, and the checks of files on disk
/// (stat and digest-cache lookups, mostly). It depends only on the node's
/// finished dependencies, so the nodes that are ready together are
/// prepared together on all cores; the decision itself (comparing with the
/// recorded build, writing, recording) stays in the engine's one loop.
/// A no-op build is mostly this part: the stat calls are ninja's whole job.
extension Engine {
    /// A prepared node, used once by the loop in place of computing it there.
    enum Prepared {
        /// `damagedOutput` is known (outer optional non-nil) when the current
        /// build has this key: the first of its outputs missing or changed.
        case action(inputs: [NodeInput], key: NodeKey, damagedOutput: String??)
        /// `toWrite`: the evaluation's files whose bytes on disk differ.
        case derived(Evaluation, inputs: [NodeInput], key: NodeKey, outputs: [NodeOutput], toWrite: [PendingFile])
    }

    /// A node whose dependencies are all available, with their results.
    struct ReadyNode {
        var id: NodeID
        var definition: NodeDefinition
        var dependencies: [NodeID: DependencyResult]
    }

    /// The cores preparation uses (asking the system each time showed in profiles).
    static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Prepares a node (rule work only; reads the current build's head).
    func prepare(_ node: ReadyNode) throws -> Prepared {
        let id = node.id, def = node.definition, deps = node.dependencies
        switch def.rule.kind {
        case .action:
            let inputs = try def.rule.inputs(context(id), dependencies: deps) + dependencyInputs(def.rule, deps)
            let key = NodeKey(kind: id.kind, recipe: def.rule.recipe, salt: keySalt, inputs: inputs)
            var damaged: String?? = nil
            if let current = try currentBuild(id), current.key == key.description {
                damaged = .some(try firstDamagedOutput(current.outputs))
            }
            return .action(inputs: inputs, key: key, damagedOutput: damaged)
        case .source, .derived:
            let ev = try def.rule.evaluate(context(id), dependencies: deps)
            let inputs = ev.inputs + dependencyInputs(def.rule, deps)
            let key = NodeKey(kind: id.kind, recipe: def.rule.recipe, salt: keySalt, inputs: inputs)
            // Files whose bytes on disk differ (moved directory, deleted file).
            var toWrite: [PendingFile] = []
            for f in ev.files {
                if let data = FileManager.default.contents(atPath: root + "/" + f.path), data.elementsEqual(f.contents) { continue }
                toWrite.append(f)
            }
            return .derived(ev, inputs: inputs, key: key, outputs: outputsOf(ev), toWrite: toWrite)
        case .phony:
            fatalError("phony nodes are not prepared")
        }
    }

    /// Prepares `first` and every other node that became ready and was
    /// neither prepared nor visited yet, on all cores; the others' results
    /// wait in `prepared` for the loop to reach them. Returns `first`'s.
    func prepareTogether(_ first: ReadyNode, available: inout Availability,
                         prepared: inout [NodeID: Result<Prepared, any Error>]) -> Result<Prepared, any Error> {
        var batch = [first]
        available.handled.insert(first.id)
        for other in available.takeReady() where available.handled.insert(other).inserted {
            guard let def = graph[other], def.rule.kind != .phony else { continue }
            batch.append(ReadyNode(id: other, definition: def,
                                   dependencies: Dictionary(uniqueKeysWithValues: def.dependencies.map { ($0, available[$0]!) })))
        }
        let outcomes = Engine.concurrentMap(batch, concurrency: Engine.cores) { [self] node in
            Result { try prepare(node) }
        }
        for (node, outcome) in zip(batch, outcomes).dropFirst() { prepared[node.id] = outcome }
        return outcomes[0]
    }

    /// The results dependents see, and which nodes they made ready: set a
    /// node's result and each dependent whose inputs are now all available
    /// joins the ready list, so a batch to prepare is found without
    /// scanning the nodes still to visit.
    struct Availability {
        private(set) var results: [NodeID: DependencyResult] = [:]
        private var missing: [NodeID: Int] = [:]
        private var dependents: [NodeID: [NodeID]] = [:]
        private var ready: [NodeID] = []
        /// Nodes prepared or visited (not to be prepared again).
        var handled = Set<NodeID>()

        init(graph: BuildGraph, nodes: [NodeID]) {
            let inRun = Set(nodes)
            for id in nodes {
                let deps = graph[id]!.dependencies.filter { inRun.contains($0) }
                if deps.isEmpty { ready.append(id) }
                missing[id] = Set(deps).count
                for d in Set(deps) { dependents[d, default: []].append(id) }
            }
        }

        subscript(_ id: NodeID) -> DependencyResult? {
            get { results[id] }
            set {
                let isNew = results[id] == nil
                results[id] = newValue
                guard isNew, newValue != nil else { return }
                for d in dependents[id] ?? [] {
                    missing[d]! -= 1
                    if missing[d] == 0 { ready.append(d) }
                }
            }
        }

        /// Whether `id`'s result is known (without copying it).
        func has(_ id: NodeID) -> Bool { results.index(forKey: id) != nil }

        /// The nodes that became ready since the last call.
        mutating func takeReady() -> [NodeID] {
            defer { ready = [] }
            return ready
        }
    }

    /// `work` over `items` on up to `concurrency` threads, results in order.
    static func concurrentMap<T, R>(_ items: [T], concurrency: Int, _ work: (T) -> R) -> [R] {
        let workers = min(items.count, max(1, concurrency))
        if workers <= 1 { return items.map(work) }
        return withoutActuallyEscaping(work) { work in
            let box = ConcurrentResults<R>(count: items.count)
            let unsafeItems = UnsafeSendable(items), unsafeWork = UnsafeSendable(work)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let index = box.nextIndex() {
                    box.set(index, unsafeWork.value(unsafeItems.value[index]))
                }
            }
            return box.values()
        }
    }
}

/// Results of `Engine.concurrentMap`: a shared next index and one slot per
/// item, each written by exactly one worker, read after all have finished.
private final class ConcurrentResults<R>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [R?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func nextIndex() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < slots.count else { return nil }
        next += 1
        return next - 1
    }

    func set(_ index: Int, _ value: R) {
        lock.lock(); slots[index] = value; lock.unlock()
    }

    func values() -> [R] { slots.map { $0! } }
}

/// Hands values to `concurrentPerform`'s workers, which only read them
/// (items) or call them (the work, which must be thread-safe).
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
