import ArgumentParser
import CBuildProject
import CBuildSecurity
import Foundation

/// `cbuild diff NODE [OTHER]`: package changes between two stage builds.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the packages of two stage builds.",
        discussion: """
            Without OTHER: NODE's previous build (with a different tarball) against its current one.
            With OTHER: NODE's current build against OTHER's current build.
            Shows added, removed, upgraded, downgraded packages, slot and USE changes.
            Examples:
              cbuild diff stage4/web
              cbuild diff stage4/web stage4/web@testing
            Exit codes: 0 ok, 2 not a built stage or nothing to compare with.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A stage node.") var node: String
    @Argument(help: "Another stage node to compare with.") var other: String?

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild diff") { ws, terminal, _ in
            let current = try ws.stageBuild(node)
            let (old, new) = try other.map { (current, try ws.stageBuild($0)) } ?? (try ws.previousStageBuild(current), current)
            let diff = ManifestDiff(old: try ws.manifest(of: old), new: try ws.manifest(of: new))
            if global.json {
                terminal.line(try Session.json(SecurityView.DiffJSON(old: old.tarball.path, new: new.tarball.path, diff: diff)))
                return
            }
            terminal.line("\(old.tarball.path) -> \(new.tarball.path)")
            terminal.out(SecurityView.diff(diff))
        }
    }
}

extension DiffCommand: PrintsData {}
