import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// Output that says what it should and nothing else: `-q`, `--json` only
/// where the output is data (and then the data, not spec texts), singular
/// and plural, and messages that do not repeat themselves.
@Suite struct OutputConventionsTests {
    let sim = ExampleBuildDirectory.withSim

    func json(_ r: CLIResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    @Test func quietPrintsOnlyWarningsAndErrors() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(["-q"] + sim(["stage4/base"]))
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r)")
        #expect(!r.stderr.contains("note:"), "\(r)")
        let failed = try ex.cbuild(["-q"] + sim(["stage4/vm/test"]), environment: ["CATALYST_SIM_FAIL": "*"])
        #expect(failed.status == 1 && failed.stdout.contains("FAILED stage4/vm/test"), "a failure still shows: \(failed)")
    }

    @Test func jsonOnlyWhereTheOutputIsDataAndThenTheData() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        for args in [["log", "stage4/base"], ["spec", "stage4/base"], ["init"], ["clean", "--dry-run", "stage4/base"]] {
            let r = try ex.cbuild(args + ["--json"])
            #expect(r.status == 2 && r.stderr.contains("--json is not accepted by `cbuild \(args[0])`"), "\(args): \(r)")
        }
        let build = try ex.cbuild(sim(["--json", "stage4/base"]))
        #expect(build.status == 0, "\(build)")
        let report = try #require(try json(build) as? [String: Any])
        #expect(report["built"] as? Int == 1 && report["upToDate"] as? Int == 0, "\(report)")
        #expect(!build.stdout.contains("version_stamp"), "no spec text in the build summary")
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["node"] as? String } == ["stage4/base"], "\(nodes)")
        let verify = try ex.cbuild(["snapshot", "verify", "--json"])
        let rows = try #require(try json(verify) as? [[String: Any]], "\(verify)")
        #expect(rows.first?["status"] as? String == "unrecorded" && rows.first?["ident"] as? String == "20261124", "\(rows)")
        let explain = try ex.cbuild(["explain", "stage4/base"])
        #expect(explain.stdout.contains("(1 stage node checked)"), "\(explain)")
    }

    @Test func anUnreachableMirrorIsSaidOnceNotNested() throws {
        let port = try LoopbackPort.free()
        let site = try MirroredSite(); defer { site.remove() }
        try site.setMirrors(["http://127.0.0.1:\(port)", site.mirror.fileURL], allowHTTP: true)
        let r = try site.cbuild(["snapshot", "fetch", "--date", "20261122"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("is unreachable (") && !r.stderr.contains("unreachable (unreachable"), "\(r)")
    }
}
