import ArgumentParser
import CBuildBasics
import CBuildProject
import CBuildSecurity
import Foundation

/// `cbuild audit [NODE…]`: which GLSAs of a snapshot affect the current stage builds.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check stage builds against a snapshot's security advisories (GLSAs).",
        discussion: """
            The advisories come from the snapshot's metadata/glsa (default: the newest
            fetched snapshot), matched as portage's glsa-check matches them. FIXED IN
            says which version that snapshot's tree offers, if any.
            Examples:
              cbuild audit
              cbuild audit stage4/web --snapshot testing --fail-on high
              cbuild audit fleet/prod --snapshot 20261124 --json
            Exit codes: 0 clean, 1 an advisory at or above --fail-on affects a node,
            2 bad input, 3 the snapshot fails verification.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Snapshot role or date whose advisories to use (default: the newest fetched).") var snapshot: String?
    @Option(name: .customLong("fail-on"), help: "Lowest severity that fails: low, normal or high.") var failOn: String = "low"
    @Argument(help: "Stage nodes or fleets (default: every built stage).") var nodes: [String] = []

    func validate() throws {
        guard Advisory.Severity(rawValue: failOn) != nil else {
            throw ValidationError("--fail-on '\(failOn)' is not low, normal or high")
        }
    }

    func run() async throws {
        let threshold = Advisory.Severity(rawValue: failOn)!
        let report = try await Session.with(global, access: .readOnly, command: "cbuild audit") { ws, terminal, reporter in
            let report = try ws.audit(nodes: nodes, snapshot: snapshot)
            reporter.finish()
            if global.json { terminal.line(try Session.json(report)) } else { terminal.out(SecurityView.audit(report)) }
            return report
        }
        if report.fails(at: threshold) { throw ExitWith(.nodeFailed) }
    }
}

extension AuditCommand: PrintsData {}
