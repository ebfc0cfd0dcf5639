import ArgumentParser
import CBuildCatalyst
import CBuildGraph
import Foundation

/// `cbuild spec NODE`: the rendered spec exactly as catalyst gets it.
struct SpecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Print the catalyst spec rendered for a target, exactly as catalyst gets it.",
        discussion: """
            NODE is a stage node (stage4/workstation) or its spec node (spec/workstation).
            Example:
              cbuild spec stage4/vm/test
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The node.", completion: NodeCompletion.kind) var node: String

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild spec") { ws, terminal, reporter in
            var id = try ws.graph.lookup([node])[0]
            if ws.graph[id]!.rule is CatalystStageRule { id = NodeID("spec/" + id.rest) }
            guard ws.graph[id]?.rule is SpecRule else {
                throw CommandError("\(node) is not a stage or spec node", hint: "try `cbuild spec stage4/NAME`")
            }
            let ev = try await ws.engine().evaluate(id)
            reporter.finish()
            terminal.out(String(decoding: ev.files.first?.contents ?? [], as: UTF8.self))
        }
    }
}
