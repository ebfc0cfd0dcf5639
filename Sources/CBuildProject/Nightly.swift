import CBuildArtifacts
import CBuildBasics
import CBuildConfig
import CBuildGraph
import Foundation

/// The nightly job (SPEC section 7): fetch the newest dated snapshot into
/// role `testing`, build every nightly target on `testing`
/// (`stage4/NAME@testing`), and when every required target succeeded,
/// promote that date to `stable`. Keys do not depend on the role, so the
/// stable targets are then brought up to date by reuse — no catalyst run.
/// A failing nightly leaves `stable` where it was.
public enum Nightly {
    public struct Options: Sendable {
        public var targets: [String]?
        public var keepGoing = false
        public var dryRun = false
        public var jobs: Int?
        public var catalystCommand: [String]?
        public init(targets: [String]? = nil, keepGoing: Bool = false, dryRun: Bool = false, jobs: Int? = nil,
                    catalystCommand: [String]? = nil) {
            self.targets = targets; self.keepGoing = keepGoing; self.dryRun = dryRun; self.jobs = jobs
            self.catalystCommand = catalystCommand
        }
    }

    public static let testingRole = "testing"
    public static let stableRole = "stable"

    /// Target names for node names: `fleet/prod` → its members, `stage4/web` → web, `all` → every target.
    public static func targetNames(_ config: BuildConfiguration, nodes: [String]) throws -> [String] {
        var out: [String] = []
        func add(_ n: String) { if !out.contains(n) { out.append(n) } }
        for node in nodes {
            if node == "all" { config.targets.keys.sorted().forEach(add); continue }
            if node.hasPrefix("fleet/"), let f = config.fleets[String(node.dropFirst(6))] { f.members.forEach(add); continue }
            let plain = node.split(separator: "@").first.map(String.init) ?? node
            if let t = config.targets.values.first(where: { $0.nodeName == plain }) { add(t.name); continue }
            throw GraphError.unknownNode(node, suggestion: Suggest.closest(to: node, among: config.knownNodeNames))
        }
        return out
    }

    /// Runs the nightly. The workspace is opened here (exclusive lock held
    /// throughout) so the fetch, the builds and the promotion are one job.
    public static func run(explicit: String?, options: Options, events: any EventSink,
                           cwd: String = FileManager.default.currentDirectoryPath) async throws -> NightlyReport {
        let started = Date()
        // Load once without variants to learn the target names, then open with them.
        let dir = try BuildDirectory.discover(from: cwd, explicit: explicit)
        let config = try BuildConfiguration.load(dir)
        let names = try targetNames(config, nodes: options.targets ?? config.project.nightly.targets)
        let optionalNames = Set(try targetNames(config, nodes: config.project.nightly.optional))
        let graphOptions = ProjectGraph.Options(catalystCommand: options.catalystCommand,
                                                roleVariants: (role: testingRole, targets: names))
        let ws = try Workspace.open(cwd: cwd, explicit: explicit, access: options.dryRun ? .readOnly : .mutating,
                                    command: "cbuild nightly", events: events, graphOptions: graphOptions)
        defer { ws.close() }
        let store = ws.snapshotStore()
        var report = NightlyReport(startedAt: started)
        report.stableBefore = try store.current(role: stableRole)
        if !options.dryRun {
            let fetched = try store.fetch(date: nil, role: testingRole, insecure: false)
            report.fetched = fetched.downloaded ? fetched.file : nil
        }
        report.testing = try store.current(role: testingRole)
        auditStable(ws, targets: names, into: &report)
        let nodes = names.map { NodeID(ws.configuration.targets[$0]!.nodeName + "@" + testingRole) }
        let mayFail = Set(names.filter { optionalNames.contains($0) }.map { NodeID(ws.configuration.targets[$0]!.nodeName + "@" + testingRole) })
        let engine = ws.engine()
        let interrupts = InterruptForwarder { engine.interrupt() }
        defer { interrupts.cancel() }
        let jobs = options.jobs ?? ws.configuration.project.catalyst.jobs
        let summary = options.dryRun ? try await engine.plan(nodes)
            : try await engine.build(nodes, options: .init(jobs: jobs, keepGoing: options.keepGoing, mayFail: mayFail))
        report.add(summary, targets: Set(nodes), optional: mayFail, root: ws.root,
                   builtWith: (try? ws.database.currentInputDisplays(named: "catalyst")) ?? [:])
        report.interrupted = summary.interrupted

        let requiredFailed = report.nodes.contains { $0.required && ($0.outcome == "failed" || $0.outcome == "skipped" || $0.outcome == "interrupted") }
        if !options.dryRun && !requiredFailed && !summary.interrupted, let date = report.testing {
            if report.stableBefore != date {
                if let before = report.stableBefore, before > date {
                    events.emit(.diagnostic(Diagnostic(.warning, "stable (\(before)) is newer than testing (\(date)); not promoting")))
                } else {
                    _ = try store.promote(role: stableRole, date: date)
                    report.promoted = true
                }
            }
            // The stable targets: same keys as what was just built on testing.
            // An optional target that failed there would only fail again: not run.
            let succeeded = Set(report.nodes.filter { ["built", "reused", "clean"].contains($0.outcome) }.map(\.node))
            let stableNodes = names.filter { succeeded.contains(ws.configuration.targets[$0]!.nodeName + "@" + testingRole) }
                .map { NodeID(ws.configuration.targets[$0]!.nodeName) }
            let after = try await engine.build(stableNodes, options: .init(jobs: jobs, keepGoing: true, mayFail: Set(stableNodes)))
            report.stableCatalystRuns = after.count(.built)
            report.stableAfterReused = after.results.filter { $0.explanation.kind == .action && ($0.outcome == .reused || $0.outcome == .clean) }.count
        }
        report.stableAfter = try store.current(role: stableRole)
        report.finishedAt = Date()
        report.exitStatus = summary.interrupted ? .interrupted : (requiredFailed ? .nodeFailed : .success)
        return report
    }

    /// Audits the current stable builds of the nightly targets against the
    /// advisories of the snapshot in `testing`, before anything is promoted.
    /// Never fails the nightly: a problem becomes the report's note.
    static func auditStable(_ ws: Workspace, targets names: [String], into report: inout NightlyReport) {
        guard report.testing != nil else { report.securityNote = "no testing snapshot"; return }
        do {
            let built = Set(try ws.builtStageNodes())
            let stable = names.compactMap { ws.configuration.targets[$0]?.nodeName }.filter(built.contains)
            guard !stable.isEmpty else { report.securityNote = "no stable build yet"; return }
            report.security = try ws.audit(nodes: stable, snapshot: try ws.auditSnapshot(testingRole))
        } catch {
            report.securityNote = "\(error)"
            ws.events.emit(.diagnostic(Diagnostic(.warning, "nightly: the stable builds were not audited: \(error)")))
        }
    }
}
