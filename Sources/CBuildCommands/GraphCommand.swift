import ArgumentParser
import CBuildGraph
import Foundation

/// `cbuild graph`: the DAG as dot, JSON or mermaid, stale nodes marked.
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the dependency graph (dot, json or mermaid); stale nodes are marked.",
        discussion: """
            Examples:
              cbuild graph --format dot stage4/workstation | dot -Tsvg > g.svg
              cbuild graph --format mermaid fleet/prod
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "dot, json or mermaid.") var format: String = "dot"
    @Argument(help: "Nodes (default: all).", completion: NodeCompletion.kind) var nodes: [String] = []

    func validate() throws {
        guard ["dot", "json", "mermaid"].contains(format) else { throw ValidationError("--format must be dot, json or mermaid") }
    }

    struct NodeEntry: Codable { var id: String; var kind: String; var rule: String; var stale: Bool; var dependencies: [String] }

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild graph") { ws, terminal, reporter in
            let roots = nodes.isEmpty ? ws.graph.allIDs : try ws.graph.lookup(nodes)
            let order = ws.graph.closure(of: roots)
            let plan = try await ws.engine().plan(roots, tolerateInputErrors: true)
            reporter.finish()
            let stale = Set(plan.results.filter { $0.explanation.verdict != .clean }.map(\.node))
            let fmt = global.json ? "json" : format
            switch fmt {
            case "json":
                let entries = order.map { id in
                    NodeEntry(id: id.name, kind: ws.graph[id]!.rule.kind.rawValue, rule: ws.graph[id]!.rule.recipe,
                              stale: stale.contains(id), dependencies: ws.graph[id]!.dependencies.map(\.name).sorted())
                }
                terminal.line(try Session.json(entries))
            case "mermaid":
                var out = "graph LR\n"
                var ids: [NodeID: String] = [:]
                for (i, id) in order.enumerated() { ids[id] = "n\(i)" }
                for id in order { out += "  \(ids[id]!)[\"\(id.name)\"]\n" }
                for id in order { for d in ws.graph[id]!.dependencies.sorted() { out += "  \(ids[d]!) --> \(ids[id]!)\n" } }
                out += "  classDef stale fill:#fdd,stroke:#c00\n"
                let s = order.filter { stale.contains($0) }.map { ids[$0]! }
                if !s.isEmpty { out += "  class \(s.joined(separator: ",")) stale\n" }
                terminal.out(out)
            default:
                var out = "digraph cbuild {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n"
                for id in order {
                    let style = stale.contains(id) ? ", color=red, style=bold, xlabel=\"stale\"" : ""
                    out += "  \"\(id.name)\" [label=\"\(id.name)\"\(style)];\n"
                }
                for id in order { for d in ws.graph[id]!.dependencies.sorted() { out += "  \"\(d.name)\" -> \"\(id.name)\";\n" } }
                terminal.out(out + "}\n")
            }
        }
    }
}

extension GraphCommand: PrintsData {}
