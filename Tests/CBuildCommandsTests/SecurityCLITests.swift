import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// `cbuild packages`, `diff` and `audit` on stages the simulator built,
/// against snapshots carrying GLSAs (from `scripts/make-mirror` or placed by the test).
@Suite(.serialized) struct SecurityCLITests {
    static let low = GLSAFixture.xml(id: "202611-01", title: "hello: Greeting spoofing", severity: "low", packages: [
        .init("app-misc/hello", vulnerable: [.init("lt", "1.1")], unaffected: [.init("ge", "1.1")])])
    static let highElsewhere = GLSAFixture.xml(id: "202611-02", title: "nginx: Remote code execution", severity: "high", packages: [
        .init("www-servers/nginx", vulnerable: [.init("lt", "99")], unaffected: [.init("ge", "99")])])

    /// An example directory whose stable snapshot (placed, unrecorded) carries
    /// the given GLSA files and offers hello-1.1, with stage4/vm/test built on it.
    func builtExample(glsa: [String: String], extra: [String: String] = [:]) throws -> ExampleBuildDirectory {
        let ex = try ExampleBuildDirectory(snapshotDates: [], stableDate: nil)
        var files = extra
        for (name, xml) in glsa { files["metadata/glsa/" + name] = xml }
        // Offered, but only for testing (~amd64): the stable stage keeps 1.0.
        files["app-misc/hello/hello-1.1.ebuild"] = "EAPI=8\nSLOT=\"0\"\nKEYWORDS=\"~amd64\"\n"
        try ex.placeSnapshot(date: "20261124", files: files)
        try ex.setSnapshotRole("stable", date: "20261124")
        let r = try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test"]))
        #expect(r.status == 0, "\(r)")
        return ex
    }

    @Test func packagesListsWhatTheSimulatedStageInstalled() throws {
        let ex = try builtExample(glsa: [:]); defer { ex.remove() }
        let r = try ex.cbuild(["packages", "stage4/vm/test"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("PACKAGE") && r.stdout.contains("app-misc/hello") && r.stdout.contains("net-misc/openssh"), "\(r)")
        let json = try ex.cbuild(["packages", "--json", "stage4/vm/test"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let packages = try #require((doc["manifest"] as? [String: Any])?["packages"] as? [[String: Any]])
        let hello = try #require(packages.first { ($0["package"] as? [String: Any])?["name"] as? String == "hello" })
        #expect(hello["version"] as? String == "1.0" && hello["slot"] as? String == "0" && hello["repository"] as? String == "gentoo")
        #expect((doc["output"] as? String)?.hasPrefix("artifacts/builds/") == true, "\(doc)")
    }

    @Test func auditFindsTheAdvisoryAndHonoursFailOn() throws {
        let broken = "<?xml version=\"1.0\"?>\n<glsa id=\"202611-03\">\n  <title>cut off</titl>\n</glsa>\n"
        let ex = try builtExample(glsa: ["glsa-202611-01.xml": Self.low, "glsa-202611-02.xml": Self.highElsewhere,
                                         "glsa-202611-03.xml": broken]); defer { ex.remove() }
        let r = try ex.cbuild(["audit", "stage4/vm/test"])
        #expect(r.status == 1, "\(r)")
        let row = r.stdout.split(separator: "\n").first { $0.contains("202611-01") }.map(String.init) ?? ""
        for part in ["stage4/vm/test", "low", "app-misc/hello", "1.0", ">=1.1", "hello: Greeting spoofing"] {
            #expect(row.contains(part), "\(part) in: \(r)")
        }
        #expect(row.contains(" 1.1 "), "the snapshot offers 1.1: \(r)")
        #expect(!r.stdout.contains("202611-02"), "nginx is not in the stage")
        #expect(r.stderr.contains("metadata/glsa/glsa-202611-03.xml:3") && r.stderr.contains("skipped"), "\(r)")
        #expect(try ex.cbuild(["audit", "stage4/vm/test", "--fail-on", "normal"]).status == 0)
        let fleet = try ex.cbuild(["audit", "fleet/prod"])
        #expect(fleet.status == 1 && fleet.stdout.contains("stage4/vm/test  202611-01"), "\(fleet)")
        #expect(fleet.stderr.contains("not built yet, so not audited: stage4/base"), "unbuilt members are named: \(fleet)")
        let high = try ex.cbuild(["audit", "stage4/vm/test", "--fail-on", "high", "--json"])
        #expect(high.status == 0, "\(high)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(high.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        #expect(findings.map { $0["advisory"] as? String } == ["202611-01"])
        #expect(findings.first?["fixedIn"] as? String == "1.1" && findings.first?["installed"] as? String == "1.0")
        #expect((doc["problems"] as? [[String: Any]])?.count == 1)
        // The HTML report shows the same: the package count and the open advisory of the node.
        if Executables.find("dot") != nil {
            let report = try ex.cbuild(["report", "stage4/vm/test"])
            #expect(report.status == 0, "\(report)")
            let html = try String(contentsOfFile: ex.path + "/artifacts/report/index.html", encoding: .utf8)
            #expect(html.contains("<dt>Packages</dt>") && html.contains("GLSA 202611-01") && html.contains("app-misc/hello-1.0"), "\(report)")
        }
    }

    @Test func badInputExitsTwoNamingWhatIsWrong() throws {
        let ex = try builtExample(glsa: ["glsa-202611-01.xml": Self.low]); defer { ex.remove() }
        let failOn = try ex.cbuild(["audit", "--fail-on", "severe"])
        #expect(failOn.status == 2 && failOn.stderr.contains("--fail-on 'severe'"), "\(failOn)")
        let snap = try ex.cbuild(["audit", "--snapshot", "19990101"])
        #expect(snap.status == 2 && snap.stderr.contains("--snapshot '19990101'") && snap.stderr.contains("stable"), "\(snap)")
        let unknown = try ex.cbuild(["audit", "stage4/vm/tset"])
        #expect(unknown.status == 2 && unknown.stderr.contains("stage4/vm/test"), "did you mean: \(unknown)")
        let notStage = try ex.cbuild(["packages", "snapshot/stable"])
        #expect(notStage.status == 2 && notStage.stderr.contains("not a catalyst stage"), "\(notStage)")
        let unbuilt = try ex.cbuild(["packages", "stage4/workstation"])
        #expect(unbuilt.status == 2 && unbuilt.stderr.contains("stage4/workstation has no current build"), "\(unbuilt)")
        let noPrevious = try ex.cbuild(["diff", "stage4/vm/test"])
        #expect(noPrevious.status == 2 && noPrevious.stderr.contains("no earlier build"), "\(noPrevious)")
    }

    @Test func noSnapshotOrAnUnreadableOneExitsTwo() throws {
        let ex = try ExampleBuildDirectory(snapshotDates: [], stableDate: nil); defer { ex.remove() }
        let none = try ex.cbuild(["audit"])
        #expect(none.status == 2 && none.stderr.contains("no snapshot has been fetched") && none.stderr.contains("cbuild snapshot fetch"), "\(none)")
        _ = try ex.dir.write("artifacts/snapshots/gentoo-20261124.xz.sqfs", "hsqs but not really a squashfs image\n")
        let bad = try ex.cbuild(["audit", "--snapshot", "20261124"])
        #expect(bad.status == 2 && bad.stderr.contains("artifacts/snapshots/gentoo-20261124.xz.sqfs") && bad.stderr.contains("cannot read the snapshot"), "\(bad)")
    }

    @Test func aSnapshotWithoutAdvisoriesIsCleanWithAWarning() throws {
        let ex = try builtExample(glsa: [:]); defer { ex.remove() }
        let r = try ex.cbuild(["audit"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("no metadata/glsa directory"), "\(r)")
        #expect(r.stdout.contains("stage4/vm/test"), "the built stage was audited: \(r)")
    }

    @Test func diffShowsTheChangeAfterATargetsPackagesChange() throws {
        let ex = try builtExample(glsa: [:]); defer { ex.remove() }
        try ex.edit("targets/vm/test.toml") {
            $0.replacingOccurrences(of: "packages = [\"app-misc/hello\", \"app-emulation/qemu-guest-agent\"]",
                                    with: "packages = [\"=app-misc/hello-1.1\", \"app-emulation/qemu-guest-agent\", \"app-misc/screen\"]")
        }
        try ex.edit("features/ssh.toml") { $0.replacingOccurrences(of: "use = [\"-kerberos\"]", with: "use = [\"-kerberos\", \"static\"]") }
        let b = try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test"]))
        #expect(b.status == 0, "\(b)")
        let r = try ex.cbuild(["diff", "stage4/vm/test"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("upgraded") && $0.contains("app-misc/hello") && $0.contains("1.0 -> 1.1") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("added") && $0.contains("app-misc/screen") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("changed") && $0.contains("net-misc/openssh") && $0.contains("USE +static") }, "a feature's USE change: \(r)")
        let json = try ex.cbuild(["diff", "--json", "stage4/vm/test"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let changes = try #require((doc["diff"] as? [String: Any])?["changes"] as? [[String: Any]])
        #expect(Set(changes.compactMap { $0["kind"] as? String }) == ["upgraded", "added", "rebuilt"], "\(changes)")
        // After the upgrade the low advisory no longer affects the stage.
        try ex.placeSnapshot(date: "20261125", files: ["metadata/glsa/glsa-202611-01.xml": Self.low])
        let audit = try ex.cbuild(["audit", "stage4/vm/test", "--snapshot", "20261125"])
        #expect(audit.status == 0, "\(audit)")
    }

    /// A stage tarball without var/db/pkg (as a stage stripped of it would be).
    @Test func aStageWithoutAPackageDatabaseIsAClearError() throws {
        let ex = try builtExample(glsa: [:]); defer { ex.remove() }
        let status = try ex.cbuild(["status", "--json", "stage4/vm/test"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let output = try #require(rows.first { $0["node"] as? String == "stage4/vm/test" }?["output"] as? String)
        #expect(output.hasSuffix(".tar.xz") || output.hasSuffix(".tar.bz2"), "\(output)")
        // Its manifest was never read: replace the tarball by one without /var/db/pkg.
        let tree = try TemporaryDirectory(); defer { tree.remove() }
        _ = try tree.write("etc/os-release", "ID=gentoo\n")
        let tar = try SystemProcessRunner().run(["tar", "-C", tree.path, "-caf", ex.path + "/" + output, "."])
        #expect(tar.succeeded)
        let r = try ex.cbuild(["packages", "stage4/vm/test"])
        #expect(r.status == 2 && r.stderr.contains("no var/db/pkg entries") && r.stderr.contains(output), "\(r)")
        let audit = try ex.cbuild(["audit", "stage4/vm/test"])
        #expect(audit.status == 2, "\(audit)")
    }
}

/// The audit against fetched, verified snapshots from the signed mirror.
@Suite(.serialized) struct SecurityMirrorTests {
    @Test func aFrozenImageIsAffectedAndAModifiedSnapshotExitsThree() throws {
        let ex = try ExampleBuildDirectory(snapshotDates: ["20261120"], stableDate: "20261120")
        let mirror = try MirrorFixture()
        defer { ex.remove(); mirror.remove() }
        try FileManager.default.copyItem(atPath: mirror.keyFile, toPath: ex.path + "/keys/mirror.asc")
        try ex.edit("cbuild.toml") { $0.replacingOccurrences(of: "mirrors = [\"file:///srv/gentoo-mirror\"]", with: "mirrors = [\"\(mirror.fileURL)\"]") }
        #expect(try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test"])).status == 0)
        let fetch = try ex.cbuild(["snapshot", "fetch", "--role", "testing"], environment: ["CBUILD_NOW": "20261125"])
        #expect(fetch.status == 0, "\(fetch)")
        let r = try ex.cbuild(["audit", "stage4/vm/test", "--snapshot", "testing"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("202611-01") && r.stdout.contains("app-misc/hello") && !r.stdout.contains("202610-07"), "\(r)")
        #expect(!r.stderr.contains("no verification record"), "a fetched snapshot is verified: \(r)")
        #expect(r.stdout.contains("stage4/vm/test: fixed by moving stable 20261120 → testing 20261123"), "\(r)")
        try mirror.corrupt("snapshots/squashfs/gentoo-20261123.xz.sqfs")   // the mirror is not the copy; corrupt the copy:
        let local = ex.path + "/artifacts/snapshots/gentoo-20261123.xz.sqfs"
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: local))
        try h.seek(toOffset: 100); try h.write(contentsOf: Data([0x55, 0xaa])); try h.close()
        let bad = try ex.cbuild(["audit", "stage4/vm/test", "--snapshot", "testing"])
        #expect(bad.status == 3 && bad.stderr.contains("gentoo-20261123.xz.sqfs") && bad.stderr.contains("changed since it was verified"), "\(bad)")
    }

    @Test func theNightlyAuditsStableAgainstTestingsAdvisories() throws {
        let ex = try ExampleBuildDirectory(snapshotDates: ["20261120"], stableDate: "20261120")
        let mirror = try MirrorFixture()
        defer { ex.remove(); mirror.remove() }
        try FileManager.default.copyItem(atPath: mirror.keyFile, toPath: ex.path + "/keys/mirror.asc")
        try ex.edit("cbuild.toml") {
            $0.replacingOccurrences(of: "mirrors = [\"file:///srv/gentoo-mirror\"]", with: "mirrors = [\"\(mirror.fileURL)\"]")
              .replacingOccurrences(of: "targets = [\"fleet/prod\"]", with: "targets = [\"stage4/vm/test\"]")
              .replacingOccurrences(of: "optional = [\"stage4/azure/web\"]", with: "optional = []")
        }
        #expect(try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test"])).status == 0)
        let junit = ex.path + "/reports/nightly.xml", json = ex.path + "/reports/nightly.json"
        let r = try ex.cbuild(["nightly", "--catalyst", BuiltProducts.path("catalyst-sim"), "--junit", junit, "--json-report", json],
                              environment: ["CBUILD_NOW": "20261125"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("stable: 1 GLSA affects 1 image; testing fixes it"), "\(r)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"stage4/vm/test GLSA 202611-01\"") && xml.contains("<failure message=\"GLSA 202611-01 (low)"), "\(xml)")
        #expect(xml.contains("testing 20261123 offers 1.1"), "\(xml)")
        let lint = try SystemProcessRunner().run(["xmllint", "--noout", junit])
        #expect(lint.succeeded, "\(lint.stderrString)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let security = try #require(report["security"] as? [String: Any])
        #expect(security["snapshotDate"] as? String == "20261123")
        #expect((security["findings"] as? [[String: Any]])?.map { $0["node"] as? String } == ["stage4/vm/test"])
        // The nightly's own build on testing is a node of its own, recorded even if no fleet names it.
        let variants = try ex.cbuild(["diff", "stage4/vm/test", "stage4/vm/test@testing"])
        #expect(variants.status == 0 && variants.stdout.contains("no package changes"), "same key, same tarball: \(variants)")
        #expect(try ex.cbuild(["audit", "stage4/vm/test@testing", "--snapshot", "testing"]).status == 0)
        // Promoted: the stable stage now has what the newer tree offers, and the audit is clean.
        let packages = try ex.cbuild(["packages", "stage4/vm/test"])
        #expect(packages.stdout.split(separator: "\n").contains { $0.hasPrefix("app-misc/hello ") && $0.contains(" 1.1 ") }, "\(packages)")
        let after = try ex.cbuild(["audit", "stage4/vm/test", "--snapshot", "stable"])
        #expect(after.status == 0, "\(after)")
        let diff = try ex.cbuild(["diff", "stage4/vm/test"])
        #expect(diff.stdout.contains("1.0 -> 1.1"), "\(diff)")
    }
}
