import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// `cbuild plan` in every format and `cbuild build --no-deps`.
@Suite struct PlanExportTests {
    let sim = ExampleBuildDirectory.withSim

    func jobs(_ r: CLIResult) throws -> [[String: Any]] {
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        return try #require(doc["jobs"] as? [[String: Any]])
    }

    @Test func jsonHasKeysEdgesAndReadiness() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(["plan", "--format", "json", "fleet/prod"])
        #expect(r.status == 0, "\(r)")
        let js = try jobs(r)
        #expect(js.count == 6)
        let web = try #require(js.first { $0["node"] as? String == "stage4/aws/web" })
        #expect(web["dependencies"] as? [String] == ["stage4/base"])
        #expect(web["ready"] as? Bool == false)
        #expect(web["key"] == nil, "pending until stage4/base is built")
        #expect((web["command"] as? [String])?.suffix(3) == ["build", "stage4/aws/web", "--no-deps"])
        let base = try #require(js.first { $0["node"] as? String == "stage4/base" })
        #expect((base["key"] as? String)?.hasPrefix("sha256:") == true)
        #expect(base["ready"] as? Bool == true)
    }

    @Test func readyAfterAPartialBuildListsTheChildren() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/base"])).status == 0)
        let r = try ex.cbuild(["plan", "--ready", "fleet/prod"])
        let names = Set(try jobs(r).compactMap { $0["node"] as? String })
        #expect(names == ["stage4/aws/web", "stage4/azure/web", "stage4/builder", "stage4/vm/test", "stage4/workstation"], "\(names)")
    }

    @Test func slurmGitlabAndBuildbotFormats() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let slurm = try ex.cbuild(["plan", "--format", "slurm", "stage4/aws/web"])
        #expect(slurm.status == 0)
        let lines = slurm.stdout.split(separator: "\n")
        let baseLine = try #require(lines.firstIndex { $0.contains("--job-name=cbuild:stage4/base") })
        let webLine = try #require(lines.firstIndex { $0.contains("--job-name=cbuild:stage4/aws/web") })
        #expect(baseLine < webLine)
        #expect(lines[webLine].contains("--dependency=afterok:$jid_0") && lines[webLine].contains("--kill-on-invalid-dep=yes"))
        #expect(try SystemProcessRunner().run(["bash", "-n", "-c", slurm.stdout]).succeeded, "valid shell")

        let gitlab = try ex.cbuild(["plan", "--format", "gitlab", "stage4/aws/web"])
        #expect(gitlab.stdout.contains("\"stage4/aws/web\":\n  stage: build\n  needs: [\"stage4/base\"]"), "\(gitlab.stdout)")
        let buildbot = try ex.cbuild(["plan", "--format", "buildbot", "stage4/aws/web"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(buildbot.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["node"] as? String } == ["stage4/base", "stage4/aws/web"])
        #expect(list.first?["command"] as? [String] == ["cbuild", "build", "stage4/base", "--no-deps"],
                "no -C: each Buildbot worker runs it in its own directory")
        #expect(list.last?["deps"] as? [String] == ["stage4/base"])
        #expect(try ex.cbuild(["plan", "--format", "csv"]).status == 2)
    }

    @Test func noDepsBuildsOneNodeRefusesMissingInputsAndIsIdempotent() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let missing = try ex.cbuild((["build", "--catalyst", BuiltProducts.path("catalyst-sim"), "stage4/aws/web", "--no-deps"]))
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("stage4/aws/web: its input stage4/base is built neither here nor in the cache"), "\(missing)")
        #expect(ex.simRuns().isEmpty)
        #expect(try ex.cbuild((["build", "--catalyst", BuiltProducts.path("catalyst-sim"), "stage4/base", "--no-deps"])).status == 0)
        #expect(try ex.cbuild((["build", "--catalyst", BuiltProducts.path("catalyst-sim"), "stage4/aws/web", "--no-deps"])).status == 0)
        #expect(ex.simRuns().count == 2)
        let again = try ex.cbuild((["build", "--catalyst", BuiltProducts.path("catalyst-sim"), "stage4/aws/web", "--no-deps"]))
        #expect(again.status == 0 && again.stdout.contains("nothing to do"), "\(again)")
        #expect(ex.simRuns().count == 2)
    }
}
