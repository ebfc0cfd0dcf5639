import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// What `explain` says: the changed lines of a small confdir file, a
/// shared cause once for all its dependents, how a never-built variant
/// differs from its base.
@Suite struct ExplainTests {
    let sim = ExampleBuildDirectory.withSim

    @Test func aConfdirFileChangeShowsTheChangedLine() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/workstation"])).status == 0)
        let dir = ex.path + "/portage/desktop/package.use"
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).sorted().first)
        let h = try #require(FileHandle(forWritingAtPath: dir + "/" + file))
        try h.seekToEnd(); try h.write(contentsOf: Array("media-libs/mesa vulkan\n".utf8)); try h.close()
        let r = try ex.cbuild(["explain", "stage4/workstation"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("portage/desktop/package.use/\(file)") && r.stdout.contains("+media-libs/mesa vulkan"), "\(r)")
        #expect(!r.stdout.contains("sha256:"), "lines, not digests: \(r)")
    }

    @Test func aSharedCauseIsStatedOnceForItsDependents() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["fleet/prod"])).status == 0)
        try ex.edit("targets/base.toml") { $0.replacingOccurrences(of: "packages = [", with: "packages = [\"app-misc/screen\", ") }
        let r = try ex.cbuild(["explain", "fleet/prod"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.components(separatedBy: "app-misc/screen").count == 2, "the cause once: \(r)")
        #expect(r.stdout.contains("— and therefore its 3 dependents: stage4/aws/web, stage4/azure/web, stage4/builder"), "\(r)")
    }

    @Test func aVariantNeverBuiltSaysHowItDiffersFromItsBase() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        try ex.setSnapshotRole("testing", date: "20261124")
        try ex.edit("fleets/canary.toml") { $0 + "features = [\"debug-tools\"]\n" }
        let r = try ex.cbuild(["explain", "stage4/vm/test@canary"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("a variant of stage4/vm/test in fleet canary: snapshot role testing, features +debug-tools"), "\(r)")
    }
}
