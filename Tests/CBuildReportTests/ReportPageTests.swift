import CBuildGraph
import CBuildState
import Foundation
import Testing
@testable import CBuildReport

/// The page model from hand-written facts: which state each node gets,
/// its class and colour, the order of timelines and bars, the security hook.
struct ReportPageTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18

    func head(_ id: Int64, _ node: String, _ state: NodeBuildRecord.State, key: String = "sha256:aaaabbbbccccdddd",
              at: Date? = nil, duration: Double? = 10, log: String? = nil, message: String? = nil) -> NodeBuildHead {
        NodeBuildHead(id: id, node: node, key: key, recipe: "catalyst-stage@2",
                      outputs: [.init(path: "artifacts/builds/\(node).tar.xz", sha256: "00", size: 1)],
                      state: state, startedAt: at ?? t0, duration: duration, logPath: log, message: message)
    }

    func stage(_ name: String, _ verdict: Verdict, outcome: NodeResult.Outcome = .clean, reasons: [Reason] = [],
               key: String? = "sha256:aaaabbbbccccdddd", message: String? = nil, deps: [String] = []) -> ReportFacts.Planned {
        ReportFacts.Planned(node: name, kind: .action, verdict: verdict, outcome: outcome, reasons: reasons, key: key,
                            message: message, dependencies: deps)
    }

    @Test func eachNodeGetsTheStateStatusWouldPrintWithItsClassAndColour() {
        let facts = ReportFacts(
            project: "acme", generatedAt: t0,
            nodes: [
                ReportFacts.Planned(node: "snapshot/stable", kind: .source, verdict: .clean),
                stage("stage4/clean", .clean),
                stage("stage4/promoted", .clean),
                stage("stage4/cached", .clean),
                stage("stage4/changed", .build, reasons: [.inputChanged(name: "spec/changed", old: "a", new: "b", details: [])]),
                stage("stage4/new", .build, reasons: [.neverBuilt], key: "sha256:new"),
                stage("stage4/broken", .build, reasons: [.previousAttempt(state: "failed", message: "catalyst exited 2\n>>> Emerging (1 of 2) a/b")],
                      key: "sha256:broken"),
                stage("stage4/stopped", .build, key: "sha256:stopped"),
                stage("stage4/child", .blocked, outcome: .skipped, message: "not built: stage4/broken failed: catalyst exited 2",
                      deps: ["stage4/broken"]),
                stage("stage4/back", .reuse, reasons: [.reusesEarlierBuild(id: 3, node: "stage4/back", at: 0)]),
                stage("stage4/remote", .reuse, reasons: [.fromCache(entry: "ac/x", builtBy: "host", at: 0)]),
            ],
            current: [
                "stage4/clean": head(1, "stage4/clean", .succeeded),
                "stage4/promoted": head(2, "stage4/promoted", .reused),
                "stage4/cached": head(3, "stage4/cached", .fetched),
                "stage4/changed": head(4, "stage4/changed", .succeeded, key: "sha256:old"),
            ],
            lastAttempt: [
                "stage4/clean": head(1, "stage4/clean", .succeeded),
                "stage4/broken": head(5, "stage4/broken", .failed, key: "sha256:broken", log: ".cache/logs/stage4/broken/1.log",
                                      message: "catalyst exited 2\n>>> Emerging (1 of 2) a/b\nfull log: x.log"),
                "stage4/stopped": head(6, "stage4/stopped", .interrupted, key: "sha256:stopped"),
            ],
            catalyst: ["stage4/clean": "Catalyst 4.1.1"])
        let page = ReportPage.build(facts)
        func state(_ n: String) -> NodeState? { page.node(n)?.state }
        #expect(state("snapshot/stable") == .upToDate)
        #expect(state("stage4/clean") == .upToDate)
        #expect(state("stage4/promoted") == .reused)
        #expect(state("stage4/cached") == .fetched)
        #expect(state("stage4/changed") == .stale)
        #expect(state("stage4/new") == .neverBuilt)
        #expect(state("stage4/broken") == .failed)
        #expect(state("stage4/stopped") == .interrupted)
        #expect(state("stage4/child") == .blocked(by: "stage4/broken: catalyst exited 2"))
        #expect(state("stage4/back") == .reused)
        #expect(state("stage4/remote") == .fetched)

        // Classes and colours: one per state, distinct, the word beside the colour.
        let classes = Set(page.nodes.map(\.state.cssClass))
        #expect(classes == ["state-up-to-date", "state-reused", "state-fetched", "state-stale", "state-never-built",
                            "state-failed", "state-interrupted", "state-blocked"])
        #expect(Set(NodeState.legend.map(\.colours.fill)).count == NodeState.legend.count)
        #expect(page.node("stage4/child")?.state.label == "blocked by stage4/broken: catalyst exited 2")

        // The current build as the section shows it.
        let clean = page.node("stage4/clean")?.current
        #expect(clean?.keyPrefix == "aaaabbbbcccc")
        #expect(clean?.catalyst == "Catalyst 4.1.1")
        #expect(page.node("stage4/broken")?.failedAttempt?.message == "catalyst exited 2", "the first line; the log tail is shown apart")
        #expect(page.node("stage4/clean")?.failedAttempt == nil)
        // Why it would run: the recorded reason, and the blocked node's cause.
        #expect(page.node("stage4/changed")?.why.first?.text == "spec/changed: a → b")
        #expect(page.node("stage4/child")?.why.first?.text == "stage4/broken failed: catalyst exited 2")
        #expect(page.node("stage4/broken")?.why.map(\.text) == ["last attempt failed: catalyst exited 2"])
        #expect(page.node("stage4/clean")?.why.isEmpty == true)
        #expect(page.stateCounts.first { $0.state == .upToDate }?.count == 2)
    }

    @Test func explanationsFollowAChangedDependencyDownToTheLeaf() {
        let facts = ReportFacts(project: "p", generatedAt: t0, nodes: [
            ReportFacts.Planned(node: "spec/web", kind: .derived, verdict: .update,
                                reasons: [.inputChanged(name: "features/ssh.toml", old: nil, new: nil, details: ["packages +net-misc/mosh"])]),
            stage("stage4/web", .build, reasons: [.inputChanged(name: "spec/web", old: nil, new: nil, details: [])], deps: ["spec/web"]),
        ], current: ["stage4/web": head(1, "stage4/web", .succeeded, key: "sha256:old")])
        let page = ReportPage.build(facts)
        let why = page.node("stage4/web")?.why ?? []
        #expect(why.first?.text == "spec/web changed")
        #expect(why.first?.node == "spec/web")
        #expect(why.first?.causes.first?.text == "features/ssh.toml changed: packages +net-misc/mosh")
        #expect(page.edges.map { "\($0.from)->\($0.to)" } == ["spec/web->stage4/web"])
    }

    @Test func timelinesAreOldestFirstPerRoleWithTheBuildsOfEachDay() {
        let day = 86_400.0
        func move(_ id: Int64, kind: String = "snapshot", name: String = "", _ role: String, _ old: String?, _ new: String,
                  _ reason: String, at: Double) -> RoleMoveRecord {
            var m = RoleMoveRecord(kind: kind, name: name, role: role, oldValue: old, newValue: new, reason: reason,
                                   actor: "root@build", at: t0.addingTimeInterval(at))
            m.id = id
            return m
        }
        // Given newest first, as StateDatabase.roleHistory returns them; two moves share a timestamp.
        let moves = [
            move(6, kind: "seed", name: "amd64-openrc", "stable", nil, "20261120T170000Z", "fetch", at: 0),
            move(5, "stable", "20261124", "20261123", "rollback", at: 2 * day + 60),
            move(4, "stable", "20261123", "20261124", "promote", at: 2 * day),
            move(3, "testing", "20261123", "20261124", "fetch", at: 2 * day),
            move(2, "stable", "20261122", "20261123", "promote", at: day),
            move(1, "stable", nil, "20261122", "fetch", at: 0),
        ]
        let attempts = [
            head(9, "stage4/web", .succeeded, at: t0.addingTimeInterval(2 * day + 30)),
            head(8, "stage4/web@testing", .failed, at: t0.addingTimeInterval(2 * day + 10)),
            head(7, "stage4/base", .succeeded, at: t0.addingTimeInterval(day + 5)),
        ]
        let page = ReportPage.build(ReportFacts(project: "p", generatedAt: t0, nodes: [stage("stage4/web", .clean)],
                                                roleMoves: moves, attempts: attempts))
        #expect(page.timelines.map(\.title) == ["snapshot · stable", "snapshot · testing", "seed amd64-openrc · stable"])
        let stable = page.timelines[0]
        #expect(stable.days.map(\.date) == ["2026-11-18", "2026-11-19", "2026-11-20"])
        #expect(stable.days.flatMap(\.moves).map(\.reason) == ["fetch", "promote", "promote", "rollback"])
        #expect(stable.days[2].moves.map(\.to) == ["20261124", "20261123"])
        #expect(stable.days[1].builds.map(\.node) == ["stage4/base"])
        #expect(stable.days[2].builds.map(\.node) == ["stage4/web@testing", "stage4/web"], "oldest first, unplanned nodes kept")
        #expect(stable.days[2].builds.map(\.state) == ["failed", "succeeded"])
        #expect(stable.days[0].builds.isEmpty)
    }

    @Test func barsAreTheStagesSlowestFirst() {
        let facts = ReportFacts(project: "p", generatedAt: t0, nodes: [
            stage("stage4/a", .clean), stage("stage4/b", .clean), stage("stage4/c", .build),
            ReportFacts.Planned(node: "spec/a", kind: .derived, verdict: .clean),
        ], current: [
            "stage4/a": head(1, "stage4/a", .succeeded, duration: 5),
            "stage4/b": head(2, "stage4/b", .succeeded, duration: 125),
            "spec/a": head(3, "spec/a", .succeeded, duration: 900),
        ], lastAttempt: ["stage4/c": head(4, "stage4/c", .failed, key: "sha256:aaaabbbbccccdddd", duration: 60)])
        let page = ReportPage.build(facts)
        #expect(page.bars.map(\.node) == ["stage4/b", "stage4/c", "stage4/a"])
        #expect(page.bars.map(\.state) == [.upToDate, .failed, .upToDate])
        let svg = DurationChart.svg(page.bars)
        #expect(svg.contains("2m05s") && svg.contains("5.0s"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 3)
    }

    @Test func anchorsAreSafeAndUnique() {
        let a = Anchors(["stage4/vm/test@testing", "stage4/vm-test@testing", "stage4/<b>"])
        #expect(a["stage4/vm/test@testing"] == "node-stage4-vm-test-testing")
        #expect(a["stage4/vm-test@testing"] == "node-stage4-vm-test-testing-2")
        #expect(a["stage4/<b>"] == "node-stage4--b-")
    }
}
