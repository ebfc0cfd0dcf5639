import ArgumentParser
import CBuildGraph
import Foundation

/// `cbuild targets`: the nodes a user names — targets, fleet variants,
/// fleets, images, boot tests, `all` — like `ninja -t targets`.
struct TargetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "List the nodes you can name: targets, fleet variants, fleets, images, boot tests.",
        discussion: """
            Examples:
              cbuild targets
              cbuild targets --json
            """)
    @OptionGroup var global: GlobalOptions

    struct Row: Codable, Equatable {
        var node: String
        var kind: String
        var description: String?
    }

    /// The user-facing kind of a node, nil for internal nodes (spec, confdir, init, …).
    static func kind(of id: NodeID) -> String? {
        switch id.kind {
        case "stage1", "stage2", "stage3", "stage4", "diskimage": return id.name.contains("@") ? "variant" : "target"
        case "fleet": return "fleet"
        case "image": return "image"
        case "test": return "boot test"
        case "ami", "azure": return "publish"
        case "all": return "group"
        default: return nil
        }
    }

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild targets") { ws, terminal, _ in
            let config = ws.configuration
            let rows: [Row] = ws.graph.allIDs.compactMap { id in
                guard let kind = Self.kind(of: id) else { return nil }
                var description: String?
                switch kind {
                case "target", "variant":
                    let plain = String(id.name.split(separator: "@")[0])
                    description = config.targets.values.first { $0.nodeName == plain }?.description
                    if let fleet = id.name.split(separator: "@").dropFirst().first { description = (description.map { $0 + " " } ?? "") + "(in fleet \(fleet))" }
                case "fleet": description = config.fleets[id.rest]?.description
                case "group": description = "every target"
                default: break
                }
                return Row(node: id.name, kind: kind, description: description)
            }
            if global.json { terminal.line(try Session.json(rows)); return }
            terminal.out(TableView.render([["NODE", "KIND", "DESCRIPTION"]] + rows.map { [$0.node, $0.kind, $0.description ?? ""] }))
        }
    }
}

extension TargetsCommand: PrintsData {}
