import ArgumentParser
import CBuildGraph
import CBuildProject
import Foundation

/// `cbuild plan`: the stale part of the graph as jobs for another scheduler.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the stale nodes as jobs with keys, dependencies and expected durations (json, buildbot, slurm, gitlab).",
        discussion: """
            Each job runs `cbuild build NODE --no-deps` on a build host.
            Examples:
              cbuild plan --format json fleet/prod
              cbuild plan --format slurm fleet/prod > submit.sh
              cbuild plan --format gitlab fleet/prod > child-pipeline.yml
              cbuild plan --ready            only the jobs that can start now
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "json, buildbot, slurm or gitlab.") var format: String = "json"
    @Flag(help: "Only jobs whose inputs are all available now.") var ready = false
    @Argument(help: "Nodes (default: [project] default).", completion: NodeCompletion.kind) var nodes: [String] = []

    func validate() throws {
        guard ["json", "buildbot", "slurm", "gitlab"].contains(format) else {
            throw ValidationError("--format must be json, buildbot, slurm or gitlab")
        }
    }

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild plan") { ws, terminal, reporter in
            let summary = try await ws.engine().plan(try ws.nodes(nodes))
            reporter.finish()
            let plan = try JobPlan.make(summary: summary, graph: ws.graph, database: ws.database, root: ws.root, readyOnly: ready)
            switch format {
            case "buildbot": terminal.out(try plan.buildbot())
            case "slurm": terminal.out(plan.slurm())
            case "gitlab": terminal.out(plan.gitlab())
            default: terminal.out(try plan.json())
            }
        }
    }
}
