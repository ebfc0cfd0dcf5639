import ArgumentParser
import CBuildBasics
import CBuildProject
import CBuildReport
import Foundation

/// `cbuild nightly`: snapshot bump to testing, build, promote to stable.
struct NightlyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "Fetch the newest snapshot into testing, build the nightly targets on it, promote it to stable on success.",
        discussion: """
            Targets come from [nightly] targets; [nightly] optional ones may fail without
            blocking the promotion. Because keys do not depend on the role, the stable
            targets are up to date right after the promotion (no catalyst run).
            Examples:
              cbuild nightly --junit reports/nightly.xml --json-report reports/nightly.json
              cbuild nightly --targets stage4/vm/test --dry-run
            """)
    @OptionGroup var global: GlobalOptions
    @Option(parsing: .upToNextOption, help: "Nodes to build instead of [nightly] targets.") var targets: [String] = []
    @Flag(name: [.customShort("k"), .long], help: "Keep going after a required target fails.") var keepGoing = false
    @Flag(name: [.customShort("n"), .long], help: "Fetch and promote nothing; show what would be built.") var dryRun = false
    @Option(name: .short, help: "Concurrent catalyst runs.") var jobs: Int?
    @Option(help: ArgumentHelp("Write a JUnit XML report to FILE.", valueName: "FILE")) var junit: String?
    @Option(name: .customLong("json-report"), help: ArgumentHelp("Write a JSON summary to FILE.", valueName: "FILE")) var jsonReport: String?
    @Option(help: ArgumentHelp("Catalyst command instead of [catalyst] command.", valueName: "CMD")) var catalyst: String?
    @Option(help: ArgumentHelp("Write the HTML report (cbuild report) to DIR at the end.", valueName: "DIR")) var report: String?

    func run() async throws {
        // A report that cannot be written is known before the nightly starts.
        if self.report != nil { try GraphvizLayout().check() }
        let (terminal, reporter) = global.makeOutput()
        let report = try await Nightly.run(explicit: global.directory,
                                           options: .init(targets: targets.isEmpty ? nil : targets, keepGoing: keepGoing,
                                                          dryRun: dryRun, jobs: jobs,
                                                          catalystCommand: catalyst.map { $0.split(separator: " ").map(String.init) }),
                                           events: reporter)
        reporter.finish()
        if let junit { try write(report.junit(), to: junit) }
        if let jsonReport { try write(try report.json(), to: jsonReport) }
        if global.json { terminal.out(try report.json()) } else { terminal.out(NightlyView.render(report, terminal)) }
        if let dir = self.report {
            let written = try await ReportCommand.write(global: global, nodes: [], out: dir, nightly: report, nightlySource: nil,
                                                      catalystCommand: catalyst.map { $0.split(separator: " ").map(String.init) })
            if !global.json { terminal.line("report: \(written.index)") }
        }
        if report.exitStatus != .success { throw ExitWith(report.exitStatus) }
    }

    private func write(_ text: String, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

enum NightlyView {
    static func render(_ r: NightlyReport, _ t: Terminal) -> String {
        var out = "snapshot: testing \(r.testing ?? "-")"
        if let f = r.fetched { out += " (fetched \(f))" }
        out += "; stable \(r.stableBefore ?? "-")"
        out += r.promoted ? " → \(r.stableAfter ?? "-") (promoted)\n" : " (unchanged)\n"
        let rows = [["NODE", "OUTCOME", "TIME", "REQUIRED"]] + r.nodes.map {
            [$0.node, $0.outcome, Reporter.duration($0.seconds), $0.required ? "yes" : "optional"]
        }
        out += TableView.render(rows)
        out += "\(r.built) built, \(r.reused) up to date or reused, \(r.failed) failed\n"
        if let runs = r.stableCatalystRuns {
            out += "stable targets after promotion: \(runs) catalyst run(s), \(r.stableAfterReused ?? 0) reused or up to date\n"
        }
        for n in r.nodes where n.outcome == "failed" {
            out += t.red("FAILED") + " \(n.node)\(n.required ? "" : " (optional)"): \(n.message?.split(separator: "\n").first.map(String.init) ?? "")\n"
            if let l = n.logPath { out += "  log: \(l)\n" }
        }
        if r.interrupted { out += "interrupted: stable stays at \(r.stableAfter ?? "-")\n" }
        if let line = r.securitySummary { out += line + "\n" }
        return out
    }
}

extension NightlyCommand: PrintsData {}
