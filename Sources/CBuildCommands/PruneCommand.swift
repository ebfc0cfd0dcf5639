import ArgumentParser
import CBuildBasics
import CBuildProject
import Foundation

/// `cbuild prune --builds`: old stage and image outputs that no current
/// build and no kept earlier build needs, with the space they take.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove old stage and image outputs that no current or kept build needs.",
        discussion: """
            Each node keeps its current build and its N newest earlier builds (distinct
            keys), so rolling back to any of them reuses it instead of running catalyst.
            Snapshots and seeds: `cbuild snapshot prune`, `cbuild seed prune`.
            Examples:
              cbuild prune --builds --dry-run
              cbuild prune --builds --keep 1
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Prune stage and image outputs (required: what to prune is said explicitly).") var builds = false
    @Option(help: "Earlier builds to keep per node, besides the current one.") var keep: Int = 3
    @Flag(name: [.customShort("n"), .long], help: "Only list what would be removed and the space it takes.") var dryRun = false

    func validate() throws {
        guard builds else { throw ValidationError("say what to prune: --builds (snapshots and seeds: `cbuild snapshot prune`, `cbuild seed prune`)") }
        guard keep >= 0 else { throw ValidationError("--keep must be 0 or more") }
    }

    func run() async throws {
        try await Session.with(global, access: dryRun ? .readOnly : .mutating, command: "cbuild prune") { ws, terminal, _ in
            let removals = try BuildRetention.plan(database: ws.database, root: ws.root, keep: keep)
            let total = removals.reduce(Int64(0)) { $0 + $1.size }
            if removals.isEmpty { terminal.line("nothing to prune (each node keeps its current build and \(keep) earlier)"); return }
            if !dryRun {
                for r in removals where unlink(ws.root + "/" + r.path) != 0 && errno != ENOENT {
                    throw CommandError("cannot remove \(r.path): \(String(cString: strerror(errno)))", exit: .nodeFailed)
                }
            }
            terminal.out(TableView.render([[dryRun ? "WOULD REMOVE" : "REMOVED", "SIZE", "NODE"]]
                                          + removals.map { [$0.path, Reporter.bytes($0.size), $0.node] }))
            let files = removals.count == 1 ? "1 file" : "\(removals.count) files"
            terminal.line(dryRun ? "would free \(Reporter.bytes(total)) (\(files))" : "freed \(Reporter.bytes(total)) (\(files))")
        }
    }
}
