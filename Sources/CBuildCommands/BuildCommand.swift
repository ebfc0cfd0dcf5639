import ArgumentParser
import CBuildBasics
import CBuildGraph
import CBuildProject
import Foundation

/// `cbuild [NODE…]`: bring nodes and their inputs up to date.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Bring nodes and their inputs up to date (the default command).",
        discussion: """
            Examples:
              cbuild stage4/workstation
              cbuild -j 2 -k fleet/prod
              cbuild -n fleet/canary           dry run: what would run
              cbuild --explain stage4/vm/test  why it would run
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .short, help: "Run up to N catalyst builds at once (default: [catalyst] jobs).") var jobs: Int?
    @Flag(name: [.customShort("k"), .long], help: "Keep going: build what does not depend on a failed node.") var keepGoing = false
    @Flag(name: [.customShort("n"), .long], help: "Dry run: show what would run, run nothing.") var dryRun = false
    @Flag(help: "Explain why each node would run instead of building.") var explain = false
    @Option(help: ArgumentHelp("Catalyst command to run instead of [catalyst] command, e.g. \"sudo catalyst\".", valueName: "CMD")) var catalyst: String?
    @Flag(help: "Build only the named nodes: their stage inputs must already be built here (exit 2 naming a missing one). What `cbuild plan` jobs run.") var noDeps = false
    @Argument(help: "Nodes to build (default: [project] default).") var nodes: [String] = []

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
    }

    func run() async throws {
        if explain {
            try await ExplainCommand.explain(global: global, nodes: nodes)
            return
        }
        let options = ProjectGraph.Options(catalystCommand: catalyst.map { $0.split(separator: " ").map(String.init) })
        let access: Workspace.Access = dryRun ? .readOnly : .mutating
        let status: ExitStatus = try await Session.with(global, access: access, command: "cbuild build", graphOptions: options) { ws, terminal, reporter in
            let ids = try ws.nodes(nodes)
            let engine = ws.engine()
            if dryRun {
                let plan = try await engine.plan(ids)
                reporter.finish()
                if global.json { terminal.line(try Session.json(ExplainView.entries(plan, verbose: global.verbose))) }
                else { terminal.out(ExplainView.render(plan, terminal: terminal, verbose: global.verbose, dryRun: true)) }
                return .success
            }
            let command = options.catalystCommand ?? ws.configuration.project.catalyst.command
            if command.contains(where: { ($0 as NSString).lastPathComponent == "catalyst-sim" }) {
                reporter.emit(.diagnostic(Diagnostic(.note, "catalyst is the simulator (catalyst-sim): no packages are compiled; outputs are synthetic")))
            }
            let interrupts = InterruptForwarder { engine.interrupt() }
            defer { interrupts.cancel() }
            if noDeps {
                // Every stage input must already be available: only the named nodes may run.
                let plan = try await engine.plan(ids)
                for r in plan.results where !ids.contains(r.node) && r.explanation.kind == .action
                    && (r.explanation.verdict == .build || r.explanation.verdict == .blocked) {
                    let user = ids.first { ws.graph.transitiveDependents(of: r.node).contains($0) }?.name ?? ids[0].name
                    throw CommandError("\(r.node.name), an input of \(user), is not built here",
                                       hint: "build it first (`cbuild \(r.node.name)`), or drop --no-deps")
                }
            }
            let jobs = self.jobs ?? ws.configuration.project.catalyst.jobs
            let summary = try await engine.build(ids, options: .init(jobs: jobs, keepGoing: keepGoing))
            reporter.finish()
            if global.json { terminal.line(try Session.json(summary)) }
            else { terminal.out(SummaryView.render(summary, terminal: terminal)) }
            if summary.interrupted { return .interrupted }
            return summary.failed.isEmpty ? .success : .nodeFailed
        }
        if status != .success { throw ExitWith(status) }
    }
}
