import ArgumentParser
import CBuildConfig
import CBuildGraph
import CBuildProject
import CBuildReport
import CBuildState
import Foundation

/// `cbuild report [NODE…] [--out DIR] [--nightly FILE]`: the static HTML report.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a static HTML report: the graph by state, builds, failures, why nodes would run, roles, the nightly.",
        discussion: """
            Writes DIR/index.html and DIR/report.css (no script, nothing loaded from the
            network) and copies failed attempts' logs into DIR/logs/. The graph is laid out
            by Graphviz's dot (Debian package graphviz). Without --nightly, the nightly
            shown is DIR/nightly.json, which `cbuild nightly --report DIR` leaves there.
            Examples:
              cbuild report
              cbuild report --out /srv/www/nightly --nightly reports/nightly.json
              cbuild report fleet/prod
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The report's directory (default: artifacts/report in the build directory).", valueName: "DIR"))
    var out: String?
    @Option(help: ArgumentHelp("A `cbuild nightly --json-report` file to show.", valueName: "FILE")) var nightly: String?
    @Argument(help: "Nodes (default: all).") var nodes: [String] = []

    func run() async throws {
        let nightlyReport = try nightly.map(Report.loadNightly)
        let written = try await ReportCommand.write(global: global, nodes: nodes, out: out, nightly: nightlyReport,
                                                    nightlySource: nightly.map(ReportCommand.absolute))
        let (terminal, _) = global.makeOutput()
        terminal.line(global.json ? try Session.json(written) : written.index)
    }

    /// Opens the directory read-only and writes the report; returns what
    /// was written (`index` is the path of index.html). Used by `report` and `nightly --report`.
    static func write(global: GlobalOptions, nodes: [String], out: String?, nightly: NightlyReport?,
                      nightlySource: String?, catalystCommand: [String]? = nil) async throws -> Report.Written {
        try GraphvizLayout().check()  // before the directory is opened: a missing dot touches nothing
        let dir: String
        if let out { dir = absolute(out) } else {
            let build = try BuildDirectory.discover(from: FileManager.default.currentDirectoryPath, explicit: global.directory)
            dir = build.root + "/artifacts/report"
        }
        var shownNightly = nightly, source = nightlySource
        if shownNightly == nil, let previous = try Report.previousNightly(in: dir) {
            shownNightly = previous.report; source = previous.path
        }
        // The nightly's variants (`stage4/NAME@testing`) are nodes of the graph only when named.
        let shown: [String] = shownNightly?.nodes.map(\.node) ?? []
        var options = Report.Options(out: dir, nightly: shownNightly, nightlySource: source)
        let graphOptions = ProjectGraph.Options(catalystCommand: catalystCommand)
        return try await Session.with(global, access: .readOnly, command: "cbuild report",
                                      graphOptions: graphOptions, naming: nodes + shown) { ws, _, reporter -> Report.Written in
            let roots = try reportRoots(ws, nodes: nodes, nightlyNodes: shown)
            var options = options
            options.security = AuditSecuritySource.make(ws)
            let written = try await Report.write(ws, nodes: roots, options: options)
            reporter.finish()
            return written
        }
    }

    /// The named nodes; by default all, or after a nightly what it built
    /// and the stable targets its promotion made current.
    static func reportRoots(_ ws: Workspace, nodes: [String], nightlyNodes: [String]) throws -> [NodeID] {
        if !nodes.isEmpty { return try ws.graph.lookup(nodes) }
        if nightlyNodes.isEmpty { return ws.graph.allIDs }
        let names = nightlyNodes + nightlyNodes.map { $0.replacingOccurrences(of: "@" + Nightly.testingRole, with: "") }
        return names.map { NodeID($0) }.filter { ws.graph[$0] != nil }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// The report's package counts and advisories: `cbuild audit` of every
/// built stage against the newest fetched snapshot (manifests and
/// advisories come from state when they were read before). No snapshot, or
/// one that fails its check: the report shows no security data, and says
/// nothing it does not know.
struct AuditSecuritySource: ReportSecuritySource {
    let byNode: [String: NodeSecurity]

    static func make(_ ws: Workspace) -> AuditSecuritySource? {
        guard let report = try? ws.audit(nodes: [], snapshot: nil) else { return nil }
        var byNode: [String: NodeSecurity] = [:]
        for n in report.nodes {
            byNode[n.node] = NodeSecurity(packageCount: n.packages, advisories: report.findings.filter { $0.node == n.node }.map {
                NodeSecurity.Advisory(id: "GLSA \($0.advisory)", title: $0.title, severity: $0.severity.rawValue,
                                      package: "\($0.package)-\($0.installed)")
            })
        }
        return AuditSecuritySource(byNode: byNode)
    }

    func security(node: String, current: NodeBuildHead?) throws -> NodeSecurity? { byNode[node] }
}

extension ReportCommand: PrintsData {}
