import ArgumentParser
import CBuildPublish
import CBuildState
import Foundation

/// `cbuild history [NODE]`: past attempts with outcome, duration and key.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past builds: when, node, outcome, duration, key.",
        discussion: """
            Examples:
              cbuild history
              cbuild history stage4/workstation --limit 5
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "How many entries.") var limit: Int = 30
    @Argument(help: "Only this node.", completion: NodeCompletion.kind) var node: String?

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild history", naming: node.map { [$0] } ?? []) { ws, terminal, _ in
            if let node { _ = try ws.graph.lookup([node]) }
            let rows = try ws.database.history(node: node, limit: limit)
            // A publish node's receipt, when its file is still there: what that build published.
            let published = rows.map { r in r.outputs.first.flatMap { PublishReceipt.read(root: ws.root, path: $0.path) } }
            if global.json { terminal.line(try Session.json(zip(rows, published).map { Entry(record: $0, published: $1) })); return }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            let anyPublished = published.contains { $0 != nil }
            let table = [["WHEN", "NODE", "OUTCOME", "DURATION", "KEY", "CATALYST"] + (anyPublished ? ["PUBLISHED"] : [])] + zip(rows, published).map {
                [f.string(from: $0.startedAt), $0.node, $0.state.rawValue, $0.duration.map(Reporter.duration) ?? "-",
                 String($0.key.dropFirst("sha256:".count).prefix(12)),
                 $0.inputs.first { $0.name == "catalyst" }?.display ?? "-"] + (anyPublished ? [$1?.summary ?? "-"] : [])
            }
            terminal.out(rows.isEmpty ? "no builds recorded\n" : TableView.render(table))
        }
    }
}

/// One `history --json` entry: the build record's fields, plus `published`
/// for a publish node whose receipt is still on disk.
private struct Entry: Encodable {
    var record: NodeBuildRecord
    var published: PublishReceipt?
    enum Keys: String, CodingKey { case published }
    func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(published, forKey: .published)
    }
}

extension HistoryCommand: PrintsData {}
