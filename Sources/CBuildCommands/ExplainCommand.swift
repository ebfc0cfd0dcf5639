import ArgumentParser
import CBuildGraph
import Foundation

/// `cbuild explain NODE…` (same as `cbuild --explain`).
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say why each node would run, down to the changed file, value or role.",
        discussion: """
            Nothing is built. Clean nodes are listed only with -v.
            Examples:
              cbuild explain stage4/workstation
              cbuild explain --json fleet/prod
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Nodes to explain (default: [project] default).", completion: NodeCompletion.kind) var nodes: [String] = []

    func run() async throws { try await ExplainCommand.explain(global: global, nodes: nodes) }

    static func explain(global: GlobalOptions, nodes: [String]) async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild explain", naming: nodes) { ws, terminal, reporter in
            let plan = try await ws.engine().plan(try ws.nodes(nodes), tolerateInputErrors: true)
            reporter.finish()
            if global.json { terminal.line(try Session.json(ExplainView.entries(plan, verbose: global.verbose))) }
            else { terminal.out(ExplainView.render(plan, terminal: terminal, verbose: global.verbose)) }
        }
    }
}

extension ExplainCommand: PrintsData {}
