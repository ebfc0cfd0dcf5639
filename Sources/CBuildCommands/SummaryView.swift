import CBuildGraph
import Foundation

/// The closing lines of a build: counts, failures with their log, and the
/// outputs that became current.
enum SummaryView {
    static func render(_ s: BuildSummary, terminal: Terminal) -> String {
        var out = ""
        let built = s.count(.built), reused = s.count(.reused), failed = s.count(.failed), fetched = s.count(.fetched)
        let skipped = s.count(.skipped), updated = s.count(.updated)
        let clean = s.results.filter { $0.outcome == .clean && $0.explanation.kind == .action }.count
        for r in s.results where r.outcome == .failed {
            out += terminal.red("FAILED") + " \(r.node.name)\n"
            if let m = r.message { out += m.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n" }
        }
        if s.interrupted { out += terminal.yellow("interrupted") + ": the previous outputs stay current\n" }
        var parts = ["\(built) built", "\(reused) reused", "\(clean) up to date"]
        if fetched > 0 { parts.insert("\(fetched) from cache", at: 2) }
        if updated > 0 { parts.append("\(updated) re-rendered") }
        if failed > 0 { parts.append("\(failed) failed") }
        if skipped > 0 { parts.append("\(skipped) not started") }
        if built == 0 && reused == 0 && fetched == 0 && failed == 0 && !s.interrupted { out += "nothing to do: " }
        out += parts.joined(separator: ", ") + "\n"
        for r in s.results where (r.outcome == .built || r.outcome == .reused || r.outcome == .fetched) && r.explanation.kind == .action {
            if let o = r.outputs.first { out += "  \(r.node.name) -> \(o.path)\n" }
        }
        return out
    }

    /// `cbuild --json NODE…`: the counts and one entry per node that was
    /// built, reused, fetched, failed or not started — data, not every
    /// spec's text.
    struct Report: Codable {
        struct Node: Codable {
            var node: String
            var outcome: String
            var seconds: Double
            var key: String?
            var output: String?
            var logPath: String?
            var message: String?
        }
        var built: Int, reused: Int, fetched: Int, upToDate: Int, reRendered: Int, failed: Int, notStarted: Int
        var interrupted: Bool
        var nodes: [Node]
    }

    static func report(_ s: BuildSummary) -> Report {
        let actions = s.results.filter { $0.explanation.kind == .action }
        return Report(built: s.count(.built), reused: s.count(.reused), fetched: s.count(.fetched),
                      upToDate: actions.filter { $0.outcome == .clean }.count, reRendered: s.count(.updated),
                      failed: s.count(.failed), notStarted: s.count(.skipped), interrupted: s.interrupted,
                      nodes: s.results.filter { $0.explanation.kind == .action || $0.outcome == .failed || $0.outcome == .skipped }.map {
                          Report.Node(node: $0.node.name, outcome: $0.outcome.rawValue, seconds: $0.seconds, key: $0.key,
                                      output: $0.outputs.first?.path, logPath: $0.logPath, message: $0.message)
                      })
    }
}
