import ArgumentParser
import CBuildGraph
import CBuildPublish
import CBuildState
import Foundation

/// `cbuild status [NODE…]`: node, state, last build, duration.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each node's state: clean, stale, failed, never built.",
        discussion: """
            Examples:
              cbuild status
              cbuild status --json fleet/prod
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Nodes (default: all).") var nodes: [String] = []

    struct Row: Codable {
        var node: String
        var state: String
        var lastBuild: Date?
        var duration: Double?
        var output: String?
        var key: String?
        /// What a publish node's current build produced (AMI, snapshot, region; blob URL).
        var published: PublishReceipt?
    }

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild status") { ws, terminal, reporter in
            let ids = nodes.isEmpty ? ws.graph.allIDs : try ws.graph.lookup(nodes)
            let plan = try await ws.engine().plan(ids, tolerateInputErrors: true)
            reporter.finish()
            // Two queries for the whole table, not one per node.
            let current = try ws.database.currentBuildHeads()
            let lastAttempts = try ws.database.lastAttemptHeads()
            var rows: [Row] = []
            for r in plan.results where r.explanation.kind == .action || (!nodes.isEmpty && nodes.contains(r.node.name)) {
                let cur = current[r.node.name]
                let last = lastAttempts[r.node.name]
                var state: String
                switch r.explanation.verdict {
                case .clean: state = cur?.state == .fetched && cur?.key == r.key ? "clean (from cache)" : "clean"
                case .reuse:
                    state = r.explanation.isFromCache ? "stale (in the cache)" : "stale (reusable)"
                default:
                    if let last, last.state == .failed || last.state == .interrupted, last.key == r.key || r.key == nil {
                        state = last.state.rawValue
                    } else if cur == nil && last == nil { state = "never built" }
                    else { state = "stale" }
                }
                if r.outcome == .failed || r.outcome == .skipped {
                    let why = (r.message ?? "an input is missing").split(separator: "\n")[0]
                        .replacingOccurrences(of: "not built: ", with: "").replacingOccurrences(of: " failed: ", with: ": ")
                    state = "blocked: " + why
                }
                rows.append(Row(node: r.node.name, state: state, lastBuild: (cur ?? last)?.startedAt,
                                duration: (cur ?? last)?.duration, output: cur?.outputs.first?.path, key: r.key,
                                published: cur?.outputs.first.flatMap { PublishReceipt.read(root: ws.root, path: $0.path) }))
            }
            if global.json { terminal.line(try Session.json(rows)); return }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "yyyy-MM-dd HH:mm"
            let anyPublished = rows.contains { $0.published != nil }
            let table = [["NODE", "STATE", "LAST BUILD", "DURATION"] + (anyPublished ? ["PUBLISHED"] : [])] + rows.map {
                [$0.node, $0.state, $0.lastBuild.map(f.string(from:)) ?? "-", $0.duration.map(Reporter.duration) ?? "-"]
                    + (anyPublished ? [$0.published?.summary ?? "-"] : [])
            }
            terminal.out(TableView.render(table))
        }
    }
}

/// Plain aligned columns.
enum TableView {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
