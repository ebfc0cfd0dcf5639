import CBuildTestSupport
import Foundation
import Testing

/// `cbuild nightly` against the signed test mirror with the catalyst
/// simulator: bump `testing` to the newest snapshot, build on it, promote to
/// `stable` only when every required target succeeded — after which the
/// stable targets need no catalyst run — and report for CI.
@Suite struct NightlyTests {
    static let targets = ["stage4/vm/test", "stage4/base", "stage4/aws/web"]
    static let stableLink = "artifacts/snapshots/gentoo-stable.sqfs"
    static let testingLink = "artifacts/snapshots/gentoo-testing.sqfs"
    static let old = "gentoo-20261122.xz.sqfs"
    static let new = "gentoo-20261123.xz.sqfs"

    /// A site whose stable role is at 20261122 and whose mirror's newest is
    /// 20261123, with three nightly targets (aws/web is seeded from base).
    func site(optional: [String] = []) throws -> MirroredSite {
        let site = try MirroredSite()
        try site.setNightly(targets: Self.targets, optional: optional)
        for args in [["snapshot", "fetch", "--date", "20261122"], ["seed", "fetch"]] {
            let r = try site.cbuild(args)
            guard r.status == 0 else { throw NSError(domain: "NightlyTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(args): \(r)"]) }
        }
        return site
    }

    func nightly(_ site: MirroredSite, _ extra: [String] = [], fail: String? = nil) throws -> CLIResult {
        try site.cbuild(["nightly", "--catalyst", BuiltProducts.path("catalyst-sim")] + extra,
                        environment: fail.map { ["CATALYST_SIM_FAIL": $0] } ?? [:])
    }

    @Test func aGoodNightlyPromotesAndTheStableTargetsThenRunCatalystZeroTimes() throws {
        let site = try site(); defer { site.remove() }
        let r = try nightly(site, ["--junit", "reports/nightly.xml", "--json-report", "reports/nightly.json"])
        #expect(r.status == 0, "\(r)")
        #expect(site.link(Self.testingLink) == Self.new)
        #expect(site.link(Self.stableLink) == Self.new, "\(r)")
        #expect(site.simRuns().count == 3, "\(site.simRuns())")
        #expect(try site.dir.read("cbuild.lock").contains("[snapshots.stable]\ndate = \"20261123\""))

        let stable = try site.cbuild(ExampleBuildDirectory.withSim(Self.targets))
        #expect(stable.status == 0, "\(stable)")
        #expect(stable.stdout.contains("nothing to do"), "\(stable)")
        #expect(site.simRuns().count == 3, "the stable targets reuse the testing builds: \(site.simRuns())")

        // The JUnit report is XML CI can read, one test case per node.
        let junit = site.path + "/reports/nightly.xml"
        let lint = try SystemRunner.run(["xmllint", "--noout", junit])
        #expect(lint == 0, "xmllint rejects \(junit)")
        let xml = try site.dir.read("reports/nightly.xml")
        for t in Self.targets { #expect(xml.contains("<testcase classname=\"stage4\" name=\"\(t)@testing\""), "\(t): \(xml)") }
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 3, "\(xml)")
        #expect(!xml.contains("<failure"), "\(xml)")

        // The JSON report: snapshot dates and each node's outcome and output.
        let value = try JSONSerialization.jsonObject(with: Data(try site.dir.read("reports/nightly.json").utf8))
        let report = try #require(value as? [String: Any])
        #expect(report["stableBefore"] as? String == "20261122")
        #expect(report["testing"] as? String == "20261123")
        #expect(report["stableAfter"] as? String == "20261123")
        #expect(report["promoted"] as? Bool == true)
        #expect(report["stableCatalystRuns"] as? Int == 0)
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        #expect(Set(nodes.compactMap { $0["node"] as? String }) == Set(Self.targets.map { $0 + "@testing" }), "\(nodes)")
        for n in nodes {
            #expect(n["outcome"] as? String == "built", "\(n)")
            let output = try #require(n["output"] as? String, "\(n)")
            #expect(FileManager.default.fileExists(atPath: site.path + "/" + output), "\(output)")
            #expect((n["sha256"] as? String)?.hasPrefix("sha256:") == true, "\(n)")
        }
    }

    @Test func aRequiredFailureExitsOneAndLeavesStableWhereItWas() throws {
        let site = try site(); defer { site.remove() }
        let lockBefore = try site.dir.read("cbuild.lock")
        let r = try nightly(site, ["--junit", "nightly.xml"], fail: "*vm-test*")
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("FAILED stage4/vm/test@testing"), "\(r)")
        #expect(site.link(Self.stableLink) == Self.old, "stable must not move: \(r)")
        #expect(site.link(Self.testingLink) == Self.new)
        #expect(try site.dir.read("cbuild.lock").contains("[snapshots.stable]\ndate = \"20261122\""))
        #expect(try site.dir.read("cbuild.lock") != lockBefore, "testing was added to the lock")
        #expect(try SystemRunner.run(["xmllint", "--noout", site.path + "/nightly.xml"]) == 0)
        let xml = try site.dir.read("nightly.xml")
        #expect(xml.contains("name=\"stage4/vm/test@testing\""), "\(xml)")
        #expect(xml.contains("<failure message=\"catalyst exited with status 2\""), "\(xml)")
        // A stable build still builds on the old snapshot; nothing promoted behind its back.
        let spec = try site.cbuild(["spec", "stage4/vm/test"])
        #expect(spec.stdout.contains("snapshot_treeish: 20261122.xz"), "\(spec)")
    }

    @Test func anOptionalFailureStillPromotesAndIsNotRetriedOnStable() throws {
        let site = try site(optional: ["stage4/aws/web"]); defer { site.remove() }
        let r = try nightly(site, ["--json-report", "nightly.json", "--junit", "nightly.xml"], fail: "*aws-web*")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("FAILED stage4/aws/web@testing (optional)"), "\(r)")
        #expect(site.link(Self.stableLink) == Self.new, "\(r)")
        // vm/test and base built, aws/web failed once; the promotion ran catalyst no more.
        #expect(site.simRuns().count == 3, "\(site.simRuns())")
        let value = try JSONSerialization.jsonObject(with: Data(try site.dir.read("nightly.json").utf8))
        let nodes = try #require((value as? [String: Any])?["nodes"] as? [[String: Any]])
        let outcomes = Dictionary(nodes.map { ($0["node"] as? String ?? "", $0["outcome"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(outcomes == ["stage4/vm/test@testing": "built", "stage4/base@testing": "built", "stage4/aws/web@testing": "failed"], "\(outcomes)")
        #expect(try SystemRunner.run(["xmllint", "--noout", site.path + "/nightly.xml"]) == 0)
        let xml = try site.dir.read("nightly.xml")
        #expect(xml.contains("<skipped message=\"optional target failed"), "\(xml)")
        #expect(!xml.contains("<failure"), "\(xml)")
    }

    @Test func aSecondNightlyTheSameDayWithNoNewSnapshotBuildsNothing() throws {
        let site = try site(); defer { site.remove() }
        #expect(try nightly(site).status == 0)
        let runs = site.simRuns().count
        #expect(runs == 3)
        let again = try nightly(site, ["--json-report", "again.json"])
        #expect(again.status == 0, "\(again)")
        #expect(site.simRuns().count == runs, "\(again)")
        // The mirror is asked for a newer day (today-1), but no snapshot is downloaded again.
        #expect(!again.stderr.contains(".xz.sqfs"), "\(again)")
        let value = try JSONSerialization.jsonObject(with: Data(try site.dir.read("again.json").utf8))
        let report = try #require(value as? [String: Any])
        #expect(report["fetched"] == nil, "\(report)")
        #expect(report["promoted"] as? Bool == false)
        #expect(report["stableAfter"] as? String == "20261123")
        let outcomes = (report["nodes"] as? [[String: Any]] ?? []).compactMap { $0["outcome"] as? String }
        #expect(outcomes.count == 3 && outcomes.allSatisfy { $0 == "clean" }, "\(outcomes)")
    }
}
