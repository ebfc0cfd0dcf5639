import ArgumentParser
import CBuildBasics
import CBuildGraph
import CBuildProject
import CBuildState
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
              cbuild build stage4/web --no-deps  one node, inputs from here or the cache
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .short, help: "Run up to N catalyst builds at once (default: [catalyst] jobs).") var jobs: Int?
    @Flag(name: [.customShort("k"), .long], help: "Keep going: build what does not depend on a failed node.") var keepGoing = false
    @Flag(name: [.customShort("n"), .long], help: "Dry run: show what would run, run nothing.") var dryRun = false
    @Flag(help: "Explain why each node would run instead of building.") var explain = false
    @Flag(help: "Build only this one node: its stage inputs must be built here or in the cache (exit 2 otherwise); nothing runs when its key is already built here or in the cache.")
    var noDeps = false
    @Option(help: ArgumentHelp("Catalyst command to run instead of [catalyst] command, e.g. \"sudo catalyst\".", valueName: "CMD")) var catalyst: String?
    @Argument(help: "Nodes to build (default: [project] default).", completion: NodeCompletion.kind) var nodes: [String] = []

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
        if noDeps && nodes.count != 1 { throw ValidationError("--no-deps builds exactly one node; name it") }
    }

    func run() async throws {
        if explain {
            try await ExplainCommand.explain(global: global, nodes: nodes)
            return
        }
        try await Self.build(global: global, nodes: nodes, jobs: jobs, keepGoing: keepGoing, dryRun: dryRun,
                             noDeps: noDeps, catalyst: catalyst)
    }

    /// The build itself, shared with `cbuild publish`.
    static func build(global: GlobalOptions, nodes: [String], jobs: Int?, keepGoing: Bool, dryRun: Bool,
                      noDeps: Bool, catalyst: String?) async throws {
        let options = ProjectGraph.Options(catalystCommand: catalyst.map { $0.split(separator: " ").map(String.init) })
        let access: Workspace.Access = dryRun ? .readOnly : .mutating
        let status: ExitStatus = try await Session.with(global, access: access, command: "cbuild build", graphOptions: options,
                                                        building: nodes) { ws, terminal, reporter in
            let ids = try ws.nodes(nodes)
            let engine = ws.engine()
            if dryRun {
                let plan = try await engine.build(ids, options: .init(keepGoing: true, dryRun: true, noDeps: noDeps))
                reporter.finish()
                if global.json { terminal.line(try Session.json(ExplainView.entries(plan, verbose: global.verbose))) }
                else { terminal.out(ExplainView.render(plan, terminal: terminal, verbose: global.verbose, dryRun: true)) }
                if plan.isNoOp, ws.lock.writerHolding == nil {
                    NoOpShortcut.offer(cacheDirectory: ws.directory.cacheDirectory, mode: .shared, command: "cbuild build")
                }
                return .success
            }
            let command = options.catalystCommand ?? ws.configuration.project.catalyst.command
            if command.contains(where: { ($0 as NSString).lastPathComponent == "catalyst-sim" }) {
                reporter.emit(.diagnostic(Diagnostic(.note, "catalyst is the simulator (catalyst-sim): no packages are compiled; outputs are synthetic")))
            }
            let interrupts = InterruptForwarder { engine.interrupt() }
            defer { interrupts.cancel() }
            let jobCount = jobs ?? ws.configuration.project.catalyst.jobs
            let summary = try await engine.build(ids, options: .init(jobs: jobCount, keepGoing: keepGoing, noDeps: noDeps))
            reporter.finish()
            if global.json { terminal.line(try Session.json(SummaryView.report(summary))) }
            else if !global.quiet || !summary.failed.isEmpty || summary.interrupted {
                // -q: only warnings and errors (a failure's lines are errors).
                terminal.out(SummaryView.render(summary, terminal: terminal))
            }
            if summary.isNoOp {
                NoOpShortcut.offer(cacheDirectory: ws.directory.cacheDirectory, mode: .exclusive, command: "cbuild build")
            }
            if summary.interrupted { return .interrupted }
            return summary.failed.isEmpty ? .success : .nodeFailed
        }
        if status != .success { throw ExitWith(status) }
    }
}

extension BuildCommand: PrintsData {}
