import ArgumentParser
import CBuildArtifacts
import CBuildCatalyst
import CBuildGraph
import CBuildProject
import Foundation

/// `cbuild clean [NODE…] | --all`: remove outputs and records of nodes.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove the outputs and records of nodes (downloads stay unless --downloads).",
        discussion: """
            A file still used by a node that is not cleaned stays.
            Examples:
              cbuild clean stage4/vm/test
              cbuild clean --all --dry-run
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Clean every node.") var all = false
    @Flag(name: [.customShort("n"), .long], help: "Only list what would be removed.") var dryRun = false
    @Flag(help: "Also remove downloaded snapshots and seeds of the cleaned roles.") var downloads = false
    @Argument(help: "Nodes to clean.", completion: NodeCompletion.kind) var nodes: [String] = []

    func validate() throws {
        if all == !nodes.isEmpty { throw ValidationError("name nodes to clean, or --all") }
    }

    func run() async throws {
        try await Session.with(global, access: dryRun ? .readOnly : .mutating, command: "cbuild clean") { ws, terminal, _ in
            let ids = all ? ws.graph.allIDs : try ws.graph.lookup(nodes)
            let selected = Set(ids.map(\.name))
            var files = Set<String>()
            for id in ids {
                guard let def = ws.graph[id] else { continue }
                switch def.rule.kind {
                case .action, .derived:
                    for rec in try ws.database.history(node: id.name, limit: 100_000) {
                        for o in rec.outputs { files.insert(o.path) }
                    }
                    if let rule = def.rule as? CatalystStageRule {
                        files.insert(OutputLink.path(node: id.name, extension: rule.tarballExtension))
                    }
                case .source where downloads:
                    if let rule = def.rule as? RoleSourceRule {
                        files.insert(rule.roleLink)
                        let link = ws.root + "/" + rule.roleLink
                        if let t = try? FileManager.default.destinationOfSymbolicLink(atPath: link) {
                            files.insert((rule.roleLink as NSString).deletingLastPathComponent + "/" + t)
                        }
                    }
                default: break
                }
            }
            // Keep files a node outside the selection still uses.
            let current = try ws.database.currentBuildHeads()
            let keep = Set(current.filter { !selected.contains($0.key) }.flatMap { $0.value.outputs.map(\.path) })
            let remove = files.subtracting(keep).filter {
                FileManager.default.fileExists(atPath: ws.root + "/" + $0)
                    || (try? FileManager.default.destinationOfSymbolicLink(atPath: ws.root + "/" + $0)) != nil
            }.sorted()
            let kept = files.intersection(keep).sorted()
            if dryRun {
                var total: Int64 = 0
                for f in remove {
                    let size = (try? FileManager.default.attributesOfItem(atPath: ws.root + "/" + f)[.size] as? Int64) ?? 0
                    total += size
                    terminal.line("would remove \(f) (\(Reporter.bytes(size)))")
                }
                terminal.line("would free \(Reporter.bytes(total))")
                for f in kept { terminal.line("would keep \(f) (used by another node)") }
                terminal.line("would forget the records of \(ids.count) node(s)")
                return
            }
            for f in remove { try? FileManager.default.removeItem(atPath: ws.root + "/" + f) }
            for id in ids { try? FileManager.default.removeItem(atPath: ws.root + "/.cache/logs/" + id.name) }
            try ws.database.forget(nodes: ids.map(\.name))
            for f in kept { terminal.line("kept \(f) (used by another node)") }
            terminal.line("removed \(remove.count) file(s); forgot \(ids.count) node(s)")
        }
    }
}
