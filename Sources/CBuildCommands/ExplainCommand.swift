import ArgumentParser
import CBuildGraph
import CBuildConfig
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
            let notes = variantNotes(plan, ws.configuration)
            if global.json { terminal.line(try Session.json(ExplainView.entries(plan, verbose: global.verbose, notes: notes))) }
            else { terminal.out(ExplainView.render(plan, terminal: terminal, verbose: global.verbose, notes: notes)) }
        }
    }
}

extension ExplainCommand: PrintsData {}

extension ExplainCommand {
    /// For a variant that was never built (`stage4/web@canary`), how it
    /// differs from its base target: the fleet's overrides, or the role the
    /// nightly builds it on.
    static func variantNotes(_ plan: BuildSummary, _ config: BuildConfiguration) -> [NodeID: String] {
        var notes: [NodeID: String] = [:]
        for r in plan.results where r.explanation.kind == .action && r.explanation.reasons.contains(.neverBuilt) {
            let parts = r.node.name.split(separator: "@", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let (base, suffix) = (parts[0], parts[1])
            if let o = config.fleets[suffix]?.overrides {
                var diffs: [String] = []
                if let s = o.snapshot { diffs.append("snapshot role \(s)") }
                if let s = o.seedRole { diffs.append("seed role \(s)") }
                if !o.features.isEmpty { diffs.append("features +" + o.features.joined(separator: " +")) }
                if !o.packages.isEmpty { diffs.append("packages +" + o.packages.joined(separator: " +")) }
                if !o.use.isEmpty { diffs.append("use " + o.use.joined(separator: " ")) }
                if !o.services.isEmpty { diffs.append("services +" + o.services.joined(separator: " +")) }
                notes[r.node] = "a variant of \(base) in fleet \(suffix): " + (diffs.isEmpty ? "no overrides" : diffs.joined(separator: ", "))
            } else {
                notes[r.node] = "a variant of \(base) on snapshot role \(suffix) (what the nightly builds)"
            }
        }
        return notes
    }
}
