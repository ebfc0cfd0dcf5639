import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// The main job through the real binaries: cbuild drives the catalyst
/// simulator over a copy of the example build directory.
@Suite(.serialized) struct BuildEndToEndTests {
    let sim = ExampleBuildDirectory.withSim

    @Test func firstBuildThenNoOpThenMinimalRebuildAfterAFeatureChange() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let first = try ex.cbuild(sim(["stage4/workstation"]))
        #expect(first.status == 0, "\(first)")
        #expect(ex.simRuns().count == 1)
        #expect(FileManager.default.fileExists(atPath: ex.path + "/artifacts/out/stage4/workstation.tar.xz"))

        let noop = try ex.cbuild(sim(["stage4/workstation"]))
        #expect(noop.status == 0, "\(noop)")
        #expect(ex.simRuns().count == 1, "a no-op build runs catalyst zero times")
        #expect(noop.stdout.contains("nothing to do"))

        // One input changes: a package added to the desktop feature.
        let feature = ex.path + "/features/desktop.toml"
        var text = try String(contentsOfFile: feature, encoding: .utf8)
        text = text.replacingOccurrences(of: "packages = [", with: "packages = [\"media-gfx/gimp\", ")
        try text.write(toFile: feature, atomically: true, encoding: .utf8)

        let explain = try ex.cbuild(["explain", "stage4/workstation"])
        #expect(explain.status == 0, "\(explain)")
        #expect(explain.stdout.contains("stage4/workstation: build"))
        #expect(explain.stdout.contains("features/desktop.toml changed: packages +media-gfx/gimp"), "\(explain.stdout)")

        let rebuild = try ex.cbuild(sim(["stage4/workstation"]))
        #expect(rebuild.status == 0, "\(rebuild)")
        #expect(ex.simRuns().count == 2)
    }

    @Test func aFeatureChangeRebuildsExactlyTheTargetsUsingIt() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["all"])).status == 0)
        let before = ex.simRuns().count
        #expect(before == 6)
        let feature = ex.path + "/features/cloud-init.toml"
        let text = try String(contentsOfFile: feature, encoding: .utf8)
        try text.replacingOccurrences(of: "packages = [", with: "packages = [\"app-admin/sysstat\", ")
            .write(toFile: feature, atomically: true, encoding: .utf8)
        let r = try ex.cbuild(sim(["all"]))
        #expect(r.status == 0, "\(r)")
        let rebuilt = ex.simRuns().dropFirst(before).map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(rebuilt.count == 2, "\(rebuilt)")
        #expect(rebuilt.allSatisfy { $0.contains("stage4-amd64-aws-web-") || $0.contains("stage4-amd64-azure-web-") }, "\(rebuilt)")
    }

    @Test func aParentStageChangeRebuildsItsChildren() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["all"])).status == 0)
        let before = ex.simRuns().count
        let target = ex.path + "/targets/base.toml"
        let text = try String(contentsOfFile: target, encoding: .utf8)
        try text.replacingOccurrences(of: "packages = [", with: "packages = [\"app-misc/screen\", ")
            .write(toFile: target, atomically: true, encoding: .utf8)
        let explain = try ex.cbuild(["explain", "stage4/aws/web"])
        #expect(explain.stdout.contains("stage4/base will be rebuilt first"), "\(explain.stdout)")
        #expect(try ex.cbuild(sim(["all"])).status == 0)
        // base, then its three children (aws/web, azure/web, builder).
        #expect(ex.simRuns().count - before == 4)
    }

    @Test func aFailingTargetKeepsThePreviousOutputAndExitsOne() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/vm/test"])).status == 0)
        let link = ex.path + "/artifacts/out/stage4/vm/test.tar.xz"
        let before = try FileManager.default.destinationOfSymbolicLink(atPath: link)
        let target = ex.path + "/targets/vm/test.toml"
        let text = try String(contentsOfFile: target, encoding: .utf8)
        try text.replacingOccurrences(of: "packages = [", with: "packages = [\"app-misc/jq\", ")
            .write(toFile: target, atomically: true, encoding: .utf8)
        let r = try ex.cbuild(sim(["stage4/vm/test"]), environment: ["CATALYST_SIM_FAIL": "*vm-test*"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("FAILED stage4/vm/test"), "\(r)")
        #expect(r.stdout.contains("full log:"), "\(r)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == before)
        let status = try ex.cbuild(["status", "stage4/vm/test"])
        #expect(status.stdout.contains("failed"), "\(status)")
    }

    @Test func movingTheDirectoryRebuildsNothingAndSaysSo() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/vm/test"])).status == 0)
        let moved = try TemporaryDirectory(prefix: "cbuild-moved"); defer { moved.remove() }
        try FileManager.default.removeItem(atPath: moved.path)
        let r0 = try SystemRunner.run(["cp", "-a", ex.path, moved.path])
        #expect(r0 == 0)
        let r = try CLI.run(sim(["stage4/vm/test"]), in: moved.path, environment: ["CATALYST_SIM_RUNS_FILE": moved.path + "/sim-runs.txt"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("build directory moved or copied to"), "\(r)")
        #expect(r.stdout.contains("nothing to do"), "\(r)")
        let conf = try String(contentsOfFile: moved.path + "/.cache/catalyst/catalyst.conf", encoding: .utf8)
        #expect(conf.contains("storedir = \"\(moved.path)/artifacts\""))
    }

    @Test func promotingASnapshotStalesExactlyTheTargetsOnThatRoleAndExplainsTheMove() throws {
        let ex = try ExampleBuildDirectory(snapshotDates: ["20261120", "20261124"], stableDate: "20261120"); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/vm/test"])).status == 0)
        try ex.setSnapshotRole("stable", date: "20261124")
        let explain = try ex.cbuild(["explain", "stage4/vm/test"])
        #expect(explain.stdout.contains("snapshot/stable: gentoo-20261120 → gentoo-20261124"), "\(explain.stdout)")
    }

    @Test func canaryOnTestingWithTheSameDateReusesProdBuilds() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        try ex.setSnapshotRole("testing", date: "20261124")
        #expect(try ex.cbuild(sim(["fleet/canary"])).status == 0)
        let runs = ex.simRuns().count
        #expect(runs == 6)
        let r = try ex.cbuild(sim(["fleet/prod"]))
        #expect(r.status == 0, "\(r)")
        #expect(ex.simRuns().count == runs, "same keys: promotion and fleet variants rebuild nothing")
    }

    @Test func unknownNodeExitsTwoWithSuggestion() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(["stage4/workstaton"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("did you mean 'stage4/workstation'"), "\(r)")
    }

    @Test func aRoleThatPointsNowhereExitsTwoWithTheFix() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(sim(["stage4/vm/test@canary"]))
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("snapshot role 'testing' points nowhere"), "\(r)")
        #expect(r.stderr.contains("cbuild snapshot fetch --role testing"), "\(r)")
        #expect(ex.simRuns().isEmpty)
    }

    @Test func outsideABuildDirectoryExitsTwo() throws {
        let empty = try TemporaryDirectory(); defer { empty.remove() }
        let r = try CLI.run(["status"], in: empty.path)
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("cbuild.toml"), "\(r)")
    }

    @Test func specPrintsWhatCatalystGets() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(["spec", "stage4/vm/test"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("snapshot_treeish: 20261124.xz"))
        #expect(r.stdout.contains("source_subpath: seeds/stage3-amd64-openrc-20261120T170000Z"))
        #expect(r.stdout.contains("version_stamp: vm-test-20261124-"))
    }
}

/// Runs a helper command, returning its exit status.
enum SystemRunner {
    static func run(_ argv: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        try p.run(); p.waitUntilExit()
        return p.terminationStatus
    }
}

/// A releng-style chain: stage1 from a stage3 seed, then stage3 from that stage1.
@Suite struct StageChainTests {
    @Test func stage1ThenStage3FromItThroughTheSimulator() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        try """
            stage = 1
            seed = "seed/amd64-openrc"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            spec = "specs/stage1.spec"

            """.write(toFile: ex.path + "/targets/chain-stage1.toml", atomically: true, encoding: .utf8)
        try """
            stage = 3
            seed = "stage1/chain-stage1"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            spec = "specs/stage3.spec"

            """.write(toFile: ex.path + "/targets/chain-stage3.toml", atomically: true, encoding: .utf8)
        let r = try ex.cbuild(ExampleBuildDirectory.withSim(["stage3/chain-stage3"]))
        #expect(r.status == 0, "\(r)")
        let runs = ex.simRuns()
        #expect(runs.count == 2)
        #expect(runs.first?.contains("stage1-amd64-chain-stage1-") == true, "\(runs)")
        let spec = try ex.cbuild(["spec", "stage3/chain-stage3"])
        #expect(spec.stdout.contains("source_subpath: default/stage1-amd64-chain-stage1-"), "\(spec)")
        // The stage3 tarball records the stage1 it was built from.
        let out = URL(fileURLWithPath: ex.path + "/artifacts/out/stage3/chain-stage3.tar.xz").resolvingSymlinksInPath().path
        let list = try SystemProcessRunner().run(["tar", "-xJOf", out, "./etc/catalyst-sim/provenance.json"])
        #expect(list.stdoutString.contains("stage1-amd64-chain-stage1-"), "\(list.stderrString)")
        // A change to stage1's inputs rebuilds both; the chain stays minimal otherwise.
        #expect(try ex.cbuild(ExampleBuildDirectory.withSim(["stage3/chain-stage3"])).stdout.contains("nothing to do"))
    }
}
