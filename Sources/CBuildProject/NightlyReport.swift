import CBuildBasics
import CBuildCatalyst
import CBuildGraph
import CBuildSecurity
import Foundation

/// What a nightly did, for CI: the snapshot dates, every node with its
/// outcome, duration, output path and digest, and the log tail of failures.
/// Written as JSON (`--json FILE`) and as JUnit XML (`--junit FILE`).
public struct NightlyReport: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var node: String
        public var outcome: String
        public var required: Bool
        public var seconds: Double
        public var key: String?
        public var output: String?
        public var sha256: String?
        public var logPath: String?
        public var message: String?
        public var logTail: String?
        /// Which catalyst built the output (`catalyst --version`).
        public var catalyst: String?
    }

    public var startedAt: Date
    public var finishedAt: Date?
    public var stableBefore: String?
    public var testing: String?
    public var stableAfter: String?
    public var fetched: String?
    public var promoted = false
    public var interrupted = false
    public var nodes: [Node] = []
    /// Catalyst runs needed to bring the stable targets up to date after promotion (0 by design).
    public var stableCatalystRuns: Int?
    public var stableAfterReused: Int?
    public var exitStatus: ExitStatus = .success
    /// The stable builds audited against testing's advisories (before promotion).
    public var security: AuditReport?
    /// Why there is no audit (no stable build yet, the snapshot could not be read).
    public var securityNote: String?

    public init(startedAt: Date) { self.startedAt = startedAt }

    public var built: Int { nodes.filter { $0.outcome == "built" }.count }
    public var reused: Int { nodes.filter { $0.outcome == "reused" || $0.outcome == "clean" }.count }
    public var failed: Int { nodes.filter { $0.outcome == "failed" }.count }

    mutating func add(_ summary: BuildSummary, targets: Set<NodeID>, optional: Set<NodeID>, root: String,
                      builtWith: [String: String] = [:]) {
        for r in summary.results where r.explanation.kind == .action {
            var tail: String?
            if r.outcome == .failed, let log = r.logPath {
                tail = CatalystStageRule.tail(of: log.hasPrefix("/") ? log : root + "/" + log, lines: 30)
            }
            let out = r.outputs.first
            nodes.append(Node(node: r.node.name, outcome: r.outcome.rawValue, required: !optional.contains(r.node),
                              seconds: r.seconds, key: r.key, output: out?.path, sha256: out?.sha256,
                              logPath: r.logPath, message: r.message, logTail: tail,
                              catalyst: r.outputs.isEmpty ? nil : builtWith[r.node.name]))
        }
    }

    public func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: try e.encode(self), as: UTF8.self) + "\n"
    }

    /// JUnit XML as CI systems read it: one test case per node; a required
    /// failure is a `<failure>` with the log tail, an optional one `<skipped>`.
    public func junit() -> String {
        let total = (finishedAt ?? Date()).timeIntervalSince(startedAt)
        let failures = nodes.filter { $0.required && ($0.outcome == "failed" || $0.outcome == "interrupted") }.count
        let skipped = nodes.filter { !$0.required && $0.outcome == "failed" || $0.outcome == "skipped" }.count
        let stamp = ISO8601DateFormatter().string(from: startedAt)
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let sec = securityCases
        x += "<testsuites name=\"cbuild nightly\" tests=\"\(nodes.count + sec.tests)\" failures=\"\(failures + sec.failures)\" skipped=\"\(skipped)\" time=\"\(String(format: "%.3f", total))\">\n"
        x += "  <testsuite name=\"nightly on testing \(esc(testing ?? "-"))\" tests=\"\(nodes.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\" time=\"\(String(format: "%.3f", total))\" timestamp=\"\(stamp)\">\n"
        x += "    <properties>\n"
        for (k, v) in [("snapshot.testing", testing), ("snapshot.stable.before", stableBefore), ("snapshot.stable.after", stableAfter),
                       ("promoted", "\(promoted)")] {
            x += "      <property name=\"\(k)\" value=\"\(esc(v ?? "-"))\"/>\n"
        }
        x += "    </properties>\n"
        for n in nodes {
            let cls = n.node.split(separator: "/").first.map(String.init) ?? "node"
            x += "    <testcase classname=\"\(esc(cls))\" name=\"\(esc(n.node))\" time=\"\(String(format: "%.3f", n.seconds))\">\n"
            switch n.outcome {
            case "failed" where n.required, "interrupted":
                x += "      <failure message=\"\(esc((n.message ?? n.outcome).split(separator: "\n").first.map(String.init) ?? ""))\">\(esc(n.logTail ?? n.message ?? ""))</failure>\n"
            case "failed":
                x += "      <skipped message=\"optional target failed: \(esc((n.message ?? "").split(separator: "\n").first.map(String.init) ?? ""))\"/>\n"
            case "skipped":
                x += "      <skipped message=\"\(esc(n.message ?? "not started"))\"/>\n"
            default: break
            }
            var out = "outcome: \(n.outcome)\n"
            if let o = n.output { out += "output: \(o)\n" }
            if let s = n.sha256 { out += "sha256: \(s)\n" }
            if let k = n.key { out += "key: \(k)\n" }
            if let l = n.logPath { out += "log: \(l)\n" }
            x += "      <system-out>\(esc(out))</system-out>\n"
            x += "    </testcase>\n"
        }
        x += "  </testsuite>\n"
        x += securityJUnit(escape: esc)
        x += "</testsuites>\n"
        return x
    }

    private func esc(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(u)
            default:
                // XML 1.0 forbids most control characters (catalyst logs contain ANSI escapes).
                if u.value < 0x20 { out += "?" } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}
