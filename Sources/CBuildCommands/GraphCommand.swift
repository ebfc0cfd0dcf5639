import ArgumentParser
import CBuildGraph
import Foundation

/// `cbuild graph`: the DAG as dot, JSON or mermaid, each node with its
/// state in status's words (clean, stale, never built, failed, blocked,
/// building), shown inside its box.
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the dependency graph (dot, json or mermaid), each node with its state.",
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

    struct NodeEntry: Codable {
        var id: String; var kind: String; var rule: String
        /// clean, stale, never built, failed, interrupted, blocked, building (as `status` says).
        var state: String
        /// Whether anything would happen to it (`state` is not clean).
        var stale: Bool
        var dependencies: [String]
    }

    /// Fill colours by state (the report uses the same palette).
    static func colour(_ state: String) -> String {
        switch state {
        case let s where s.hasPrefix("clean"): return "#d8f0d8"
        case "never built": return "#eeeeee"
        case "failed", "interrupted": return "#f6c6c6"
        case "blocked": return "#f3ddb0"
        case "building": return "#cfe0fa"
        default: return "#fbe9a6"   // stale, stale (reusable), stale (in the cache)
        }
    }

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild graph") { ws, terminal, reporter in
            let roots = nodes.isEmpty ? ws.graph.allIDs : try ws.graph.lookup(nodes)
            let order = ws.graph.closure(of: roots)
            let plan = try await ws.engine().plan(roots, tolerateInputErrors: true)
            reporter.finish()
            let states = try StatusCommand.states(plan, ws)
            func state(_ id: NodeID) -> String { states[id] ?? "clean" }
            let fmt = global.json ? "json" : format
            switch fmt {
            case "json":
                let entries = order.map { id in
                    NodeEntry(id: id.name, kind: ws.graph[id]!.rule.kind.rawValue, rule: ws.graph[id]!.rule.recipe,
                              state: state(id), stale: !state(id).hasPrefix("clean"),
                              dependencies: ws.graph[id]!.dependencies.map(\.name).sorted())
                }
                terminal.line(try Session.json(entries))
            case "mermaid":
                var out = "graph LR\n"
                var ids: [NodeID: String] = [:]
                for (i, id) in order.enumerated() { ids[id] = "n\(i)" }
                for id in order { out += "  \(ids[id]!)[\"\(id.name)<br/>\(state(id))\"]\n" }
                for id in order { for d in ws.graph[id]!.dependencies.sorted() { out += "  \(ids[d]!) --> \(ids[id]!)\n" } }
                let byClass = Dictionary(grouping: order) { Self.cssClass(state($0)) }
                for (cls, members) in byClass.sorted(by: { $0.key < $1.key }) {
                    out += "  classDef \(cls) fill:\(Self.colour(state(members[0])))\n"
                    out += "  class \(members.map { ids[$0]! }.joined(separator: ",")) \(cls)\n"
                }
                terminal.out(out)
            default:
                var out = "digraph cbuild {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n"
                for id in order {
                    let s = state(id)
                    let style = s.hasPrefix("clean") ? "style=filled" : "style=\"filled,bold\", color=red"
                    out += "  \"\(id.name)\" [label=\"\(id.name)\\n\(s)\", \(style), fillcolor=\"\(Self.colour(s))\"];\n"
                }
                for id in order { for d in ws.graph[id]!.dependencies.sorted() { out += "  \"\(d.name)\" -> \"\(id.name)\";\n" } }
                terminal.out(out + "}\n")
            }
        }
    }
}

extension GraphCommand: PrintsData {}

extension GraphCommand {
    /// A mermaid class name for a state (`never built` → `neverbuilt`).
    static func cssClass(_ state: String) -> String {
        String(state.split(separator: " ").first == "stale" ? "stale" : Substring(state.filter(\.isLetter)))
    }
}
