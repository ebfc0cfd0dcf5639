import ArgumentParser
import CBuildProject
import CBuildSecurity
import Foundation

/// `cbuild packages NODE`: the packages a stage build contains, from its own /var/db/pkg.
struct PackagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packages",
        abstract: "List the packages installed in a stage build (from its /var/db/pkg).",
        discussion: """
            Read once per output and remembered in .cache/state.db.
            Examples:
              cbuild packages stage4/workstation
              cbuild packages --json stage4/vm/test
            Exit codes: 0 ok, 2 not a built stage or no /var/db/pkg in it.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A stage node.") var node: String

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild packages") { ws, terminal, _ in
            let stage = try ws.stageBuild(node)
            let manifest = try ws.manifest(of: stage)
            if global.json {
                terminal.line(try Session.json(SecurityView.PackagesJSON(node: stage.node, output: stage.tarball.path, manifest: manifest)))
                return
            }
            terminal.out(SecurityView.packages(manifest))
            terminal.line("\(manifest.packages.count) packages in \(stage.tarball.path)")
        }
    }
}

extension PackagesCommand: PrintsData {}
