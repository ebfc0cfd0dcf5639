import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// `cbuild nightly` against a local signed mirror with the simulator:
/// snapshot to testing, build, promote to stable with no rebuild.
@Suite(.serialized) struct NightlyCLITests {
    /// An example directory whose stable role is an old snapshot, pointed at
    /// a fresh signed mirror (newest date 20261123), with a small nightly.
    func setUp(optional: [String] = []) throws -> (ExampleBuildDirectory, MirrorFixture) {
        let ex = try ExampleBuildDirectory(snapshotDates: ["20261120"], stableDate: "20261120")
        let mirror = try MirrorFixture()
        try FileManager.default.copyItem(atPath: mirror.keyFile, toPath: ex.path + "/keys/mirror.asc")
        var toml = try String(contentsOfFile: ex.path + "/cbuild.toml", encoding: .utf8)
        toml = toml.replacingOccurrences(of: "mirrors = [\"file:///srv/gentoo-mirror\"]", with: "mirrors = [\"\(mirror.fileURL)\"]")
        let optionalList = optional.map { "\"\($0)\"" }.joined(separator: ", ")
        toml = toml.replacingOccurrences(of: "targets = [\"fleet/prod\"]", with: "targets = [\"stage4/vm/test\", \"stage4/base\", \"stage4/azure/web\"]")
        toml = toml.replacingOccurrences(of: "optional = [\"stage4/azure/web\"]", with: "optional = [\(optionalList)]")
        try toml.write(toFile: ex.path + "/cbuild.toml", atomically: true, encoding: .utf8)
        return (ex, mirror)
    }

    func nightly(_ ex: ExampleBuildDirectory, _ args: [String] = [], env: [String: String] = [:]) throws -> CLIResult {
        var e = ["CBUILD_NOW": "20261125"]
        for (k, v) in env { e[k] = v }
        return try ex.cbuild(["nightly", "--catalyst", BuiltProducts.path("catalyst-sim")] + args, environment: e)
    }

    func role(_ ex: ExampleBuildDirectory, _ name: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: ex.path + "/artifacts/snapshots/gentoo-\(name).sqfs")
    }

    @Test func aGoodNightlyPromotesAndTheStableTargetsNeedNoCatalystRun() throws {
        let (ex, mirror) = try setUp(); defer { ex.remove(); mirror.remove() }
        let junit = ex.path + "/reports/nightly.xml", json = ex.path + "/reports/nightly.json"
        let r = try nightly(ex, ["--junit", junit, "--json-report", json])
        #expect(r.status == 0, "\(r)")
        #expect(role(ex, "testing") == "gentoo-20261123.xz.sqfs")
        #expect(role(ex, "stable") == "gentoo-20261123.xz.sqfs", "promoted")
        #expect(ex.simRuns().count == 3)
        #expect(r.stdout.contains("stable targets after promotion: 0 catalyst run(s)"), "\(r)")
        // A build of the stable targets afterwards runs nothing: same keys.
        let after = try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test", "stage4/base", "stage4/azure/web"]))
        #expect(after.status == 0, "\(after)")
        #expect(ex.simRuns().count == 3, "no catalyst run after promotion")
        // The JUnit report is valid XML and names each node.
        let lint = try SystemProcessRunner().run(["xmllint", "--noout", junit])
        #expect(lint.succeeded, "\(lint.stderrString)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        for n in ["stage4/vm/test@testing", "stage4/base@testing", "stage4/azure/web@testing"] {
            #expect(xml.contains("name=\"\(n)\""), "\(n) in \(xml)")
        }
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["testing"] as? String == "20261123")
        #expect(report["stableBefore"] as? String == "20261120")
        #expect(report["stableAfter"] as? String == "20261123")
        #expect(report["promoted"] as? Bool == true)
        #expect((report["nodes"] as? [[String: Any]])?.count == 3)
        // Paths in the report are relative to the build directory; each node says which catalyst built it.
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(!text.contains(ex.path), "the report names no absolute path of the directory")
        for node in report["nodes"] as? [[String: Any]] ?? [] {
            #expect((node["catalyst"] as? String)?.contains("SIMULATOR") == true, "\(node)")
        }
        // The variants the nightly built can be named: their log is there.
        let log = try ex.cbuild(["log", "stage4/base@testing"])
        #expect(log.status == 0 && log.stdout.contains("# cbuild:"), "\(log)")
        let history = try ex.cbuild(["history", "stage4/base@testing"])
        #expect(history.status == 0 && history.stdout.contains("stage4/base@testing"), "\(history)")

        // A second nightly the same day: no new snapshot, nothing built.
        let again = try nightly(ex)
        #expect(again.status == 0, "\(again)")
        #expect(ex.simRuns().count == 3, "\(again)")
    }

    @Test func aRequiredFailureDoesNotPromoteAndExitsOne() throws {
        let (ex, mirror) = try setUp(); defer { ex.remove(); mirror.remove() }
        let junit = ex.path + "/nightly.xml"
        let r = try nightly(ex, ["--junit", junit], env: ["CATALYST_SIM_FAIL": "*vm-test*"])
        #expect(r.status == 1, "\(r)")
        #expect(role(ex, "testing") == "gentoo-20261123.xz.sqfs")
        #expect(role(ex, "stable") == "gentoo-20261120.xz.sqfs", "stable stays where it was")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<failure"), "\(xml)")
        #expect(try SystemProcessRunner().run(["xmllint", "--noout", junit]).succeeded)
    }

    @Test func anOptionalFailureStillPromotes() throws {
        let (ex, mirror) = try setUp(optional: ["stage4/azure/web"]); defer { ex.remove(); mirror.remove() }
        let r = try nightly(ex, [], env: ["CATALYST_SIM_FAIL": "*azure-web*"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("FAILED stage4/azure/web@testing (optional)"), "\(r)")
        #expect(role(ex, "stable") == "gentoo-20261123.xz.sqfs")
    }
}
