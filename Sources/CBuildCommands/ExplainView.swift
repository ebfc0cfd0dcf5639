import CBuildGraph
import Foundation

/// Renders the engine's recorded reasons: for each node that would run, why,
/// following a changed dependency down to the leaf cause:
///
///     stage4/workstation: build
///       spec/workstation changed
///         features/ssh.toml changed: packages +net-misc/mosh
enum ExplainView {
    struct Entry: Codable {
        var node: String
        var kind: String
        var verdict: String
        var key: String?
        var previousKey: String?
        var reasons: [ReasonEntry]
    }
    struct ReasonEntry: Codable {
        var text: String
        var input: String?
        /// The dependency's own reasons, when it is part of the cause.
        var causes: [ReasonEntry]?
    }

    static func verdictWord(_ e: Explanation) -> String {
        switch e.verdict {
        case .build: return "build"
        case .update: return "re-render"
        case .reuse: return "reuse"
        case .clean: return "clean"
        case .blocked: return "blocked"
        }
    }

    /// Reasons with their causes followed through dependencies that change too.
    /// A stage that is itself listed (it runs too) is named, not explained
    /// again under each of its dependents: a shared cause is stated once.
    static func reasonTree(_ reasons: [Reason], plan: BuildSummary, depth: Int = 0, seen: Set<NodeID> = [],
                           listed: Set<NodeID> = []) -> [ReasonEntry] {
        reasons.map { r in
            if let dep = r.dependency, listed.contains(dep) {
                return ReasonEntry(text: r.text, input: dep.name, causes: nil)
            }
            if let dep = r.dependency, !seen.contains(dep), let d = plan.result(dep), d.explanation.verdict != .clean,
               d.explanation.kind != .source, depth < 8 {
                let sub = reasonTree(d.explanation.reasons, plan: plan, depth: depth + 1, seen: seen.union([dep]), listed: listed)
                let text: String
                switch r {
                case .dependencyRebuilds: text = r.text
                default: text = "\(dep.name) changed"
                }
                return ReasonEntry(text: text, input: dep.name, causes: sub.isEmpty ? nil : sub)
            }
            return ReasonEntry(text: r.text, input: r.dependency?.name, causes: nil)
        }
    }

    /// Nodes listed at the top: every action/derived node that would run,
    /// except derived ones already shown as a cause of an action.
    static func entries(_ plan: BuildSummary, verbose: Bool, notes: [NodeID: String] = [:]) -> [Entry] {
        var shownInside = Set<NodeID>()
        func collect(_ rs: [ReasonEntry]) { for r in rs { if let i = r.input, r.causes != nil { shownInside.insert(NodeID(i)) }; collect(r.causes ?? []) } }
        var list: [(NodeResult, [ReasonEntry])] = []
        let listed = Set(plan.results.filter { $0.explanation.kind == .action && $0.explanation.verdict != .clean }.map(\.node))
        for r in plan.results where r.explanation.kind == .action && r.explanation.verdict != .clean {
            // A blocked node's cause is the missing input named in its message, not only the failed dependency.
            let tree = r.explanation.verdict == .blocked && r.message != nil
                ? [ReasonEntry(text: r.message!.split(separator: "\n")[0].replacingOccurrences(of: "not built: ", with: ""), input: nil, causes: nil)]
                : reasonTree(r.explanation.reasons, plan: plan, seen: [r.node], listed: listed.subtracting([r.node]))
                    + (notes[r.node].map { [ReasonEntry(text: $0, input: nil, causes: nil)] } ?? [])
            collect(tree)
            list.append((r, tree))
        }
        var out: [Entry] = []
        for r in plan.results {
            let e = r.explanation
            let isListed = list.contains { $0.0.node == r.node }
            if isListed {
                let tree = list.first { $0.0.node == r.node }!.1
                out.append(Entry(node: r.node.name, kind: e.kind.rawValue, verdict: verdictWord(e), key: e.key,
                                 previousKey: e.previousKey, reasons: tree))
            } else if e.verdict != .clean && e.kind != .phony && !shownInside.contains(r.node)
                        && (verbose || plan.requested.contains(r.node)) {
                out.append(Entry(node: r.node.name, kind: e.kind.rawValue, verdict: verdictWord(e), key: e.key,
                                 previousKey: e.previousKey, reasons: reasonTree(e.reasons, plan: plan, seen: [r.node])))
            } else if verbose && e.kind != .phony && e.verdict == .clean {
                out.append(Entry(node: r.node.name, kind: e.kind.rawValue, verdict: "clean", key: e.key,
                                 previousKey: e.previousKey, reasons: []))
            }
        }
        return out
    }

    static func render(_ plan: BuildSummary, terminal: Terminal, verbose: Bool, dryRun: Bool = false,
                       notes: [NodeID: String] = [:]) -> String {
        let list = entries(plan, verbose: verbose, notes: notes)
        var out = ""
        func add(_ rs: [ReasonEntry], indent: Int) {
            for r in rs {
                out += String(repeating: "  ", count: indent) + r.text + "\n"
                add(r.causes ?? [], indent: indent + 1)
            }
        }
        // Who waits on whom: "stage4/base will be rebuilt first" under each child.
        var dependents: [String: [String]] = [:]
        for e in list {
            for r in e.reasons where r.causes == nil && r.text.hasSuffix("will be rebuilt first") { if let i = r.input { dependents[i, default: []].append(e.node) } }
        }
        for e in list {
            let word = e.verdict == "build" ? terminal.bold(e.verdict) : e.verdict
            out += "\(terminal.bold(e.node)): \(word)\n"
            add(e.reasons, indent: 1)
            if let d = dependents[e.node], d.count > 1 {
                out += "  — and therefore its \(d.count) dependents: \(d.joined(separator: ", "))\n"
            }
        }
        let running = list.filter { $0.verdict == "build" }.count
        let reuse = list.filter { $0.verdict == "reuse" }.count
        if list.filter({ $0.verdict != "clean" }).isEmpty {
            let n = plan.results.filter { $0.explanation.kind == .action }.count
            out += "everything is up to date (\(n) stage \(n == 1 ? "node" : "nodes") checked)\n"
        } else {
            let cached = plan.results.filter { $0.explanation.verdict == .reuse && $0.explanation.isFromCache }.count
            let blocked = list.filter { $0.verdict == "blocked" }.count
            out += "\(running) to build, \(reuse - cached) to reuse from earlier builds"
                + (cached > 0 ? ", \(cached) to fetch from the cache" : "")
                + (blocked > 0 ? ", \(blocked) blocked" : "") + "\n"
        }
        return out
    }
}
