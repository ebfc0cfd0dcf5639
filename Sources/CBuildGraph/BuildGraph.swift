import CBuildBasics

/// A node in the graph: its id, the rule that builds it, and the nodes it
/// depends on (as named inputs).
public struct NodeDefinition: Sendable {
    public let id: NodeID
    public let rule: any Rule
    public let dependencies: [NodeID]
    public init(id: NodeID, rule: any Rule, dependencies: [NodeID]) {
        self.id = id; self.rule = rule; self.dependencies = dependencies
    }
}

/// The DAG of everything cbuild knows. Built from the configuration by the
/// rule families; checked for unknown dependencies and cycles on creation.
public struct BuildGraph: Sendable {
    public private(set) var nodes: [NodeID: NodeDefinition] = [:]
    public private(set) var dependents: [NodeID: [NodeID]] = [:]

    public init(_ definitions: [NodeDefinition]) throws {
        for d in definitions {
            if nodes[d.id] != nil { throw GraphError.duplicateNode(d.id) }
            nodes[d.id] = d
        }
        for d in definitions {
            for dep in d.dependencies {
                guard nodes[dep] != nil else { throw GraphError.unknownDependency(node: d.id, dependency: dep) }
                dependents[dep, default: []].append(d.id)
            }
        }
        if let cycle = findCycle() { throw GraphError.cycle(cycle) }
    }

    public subscript(id: NodeID) -> NodeDefinition? { nodes[id] }
    public var allIDs: [NodeID] { nodes.keys.sorted() }

    /// Resolves user-typed names; unknown ones fail with a did-you-mean.
    /// What a mistyped name probably meant: a bare target name is the
    /// target's node (`workstation` → `stage4/workstation`), else the
    /// closest node name.
    public func suggestion(for name: String) -> String? {
        if !name.contains("/") {
            let bare = nodes.keys.map(\.name).filter { n in
                guard let slash = n.firstIndex(of: "/") else { return false }
                return n[n.index(after: slash)...] == name && !n.hasPrefix("spec/") && !n.hasPrefix("confdir/")
                    && !n.hasPrefix("overlay/") && !n.hasPrefix("fsscript/")
            }.sorted()
            if let first = bare.first { return first }
        }
        return Suggest.closest(to: name, among: nodes.keys.map(\.name).sorted())
    }

    public func lookup(_ names: [String]) throws -> [NodeID] {
        try names.map { name in
            let id = NodeID(name)
            if nodes[id] != nil { return id }
            throw GraphError.unknownNode(name, suggestion: suggestion(for: name))
        }
    }

    /// The requested nodes and everything they depend on, dependencies first
    /// (a stable topological order: ties broken by name).
    public func closure(of roots: [NodeID]) -> [NodeID] {
        var order: [NodeID] = []
        var seen = Set<NodeID>()
        func visit(_ id: NodeID) {
            guard seen.insert(id).inserted, let def = nodes[id] else { return }
            for d in def.dependencies.sorted() { visit(d) }
            order.append(id)
        }
        for r in roots { visit(r) }
        return order
    }

    /// Nodes that (transitively) depend on `id`.
    public func transitiveDependents(of id: NodeID) -> Set<NodeID> {
        var out = Set<NodeID>()
        var stack = [id]
        while let n = stack.popLast() {
            for d in dependents[n] ?? [] where out.insert(d).inserted { stack.append(d) }
        }
        return out
    }

    private func findCycle() -> [NodeID]? {
        enum Mark { case visiting, done }
        var marks: [NodeID: Mark] = [:]
        var stack: [NodeID] = []
        func visit(_ id: NodeID) -> [NodeID]? {
            if marks[id] == .done { return nil }
            if marks[id] == .visiting {
                let start = stack.firstIndex(of: id)!
                return Array(stack[start...]) + [id]
            }
            marks[id] = .visiting
            stack.append(id)
            for d in nodes[id]!.dependencies.sorted() {
                if let c = visit(d) { return c }
            }
            stack.removeLast()
            marks[id] = .done
            return nil
        }
        for id in nodes.keys.sorted() {
            if let c = visit(id) { return c }
        }
        return nil
    }
}
