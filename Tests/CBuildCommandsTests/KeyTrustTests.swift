import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// "Up to date" means built from exactly these bytes by this catalyst:
/// the snapshot's content and catalyst's identity are in every stage's
/// key, nothing reads a snapshot or seed that changed since it was
/// verified, state names no absolute path of the directory, seeds can be
/// frozen on a role, and what the explanations say about all of it.
/// Each asserts what the previous key scheme (catalyst-stage@1) got wrong.
@Suite struct KeyTrustTests {
    let sim = ExampleBuildDirectory.withSim

    @discardableResult
    func ok(_ r: CLIResult, _ sourceLocation: Testing.SourceLocation = #_sourceLocation) -> CLIResult {
        #expect(r.status == 0, "\(r)", sourceLocation: sourceLocation)
        return r
    }

    func objects(_ r: CLIResult) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "\(r)")
    }

    /// `status --json` keys by node.
    func keys(_ r: CLIResult) throws -> [String: String] {
        var out: [String: String] = [:]
        for row in try objects(r) { if let n = row["node"] as? String, let k = row["key"] as? String { out[n] = k } }
        return out
    }

    func sqlite(_ dir: String, _ sql: String) throws -> String {
        let r = try SystemProcessRunner().run(["sqlite3", dir + "/.cache/state.db", sql])
        #expect(r.succeeded, "\(r.stderrString)")
        return r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Flips one byte in the middle of a file, keeping its size.
    func flipByte(_ path: String) throws -> UInt8 {
        let h = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? h.close() }
        let size = try h.seekToEnd()
        try h.seek(toOffset: size / 2)
        let old = try #require(try h.read(upToCount: 1)?.first)
        try h.seek(toOffset: size / 2)
        try h.write(contentsOf: [old ^ 0xff])
        return old
    }

    func restoreByte(_ path: String, _ byte: UInt8) throws {
        let h = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? h.close() }
        let size = try h.seekToEnd()
        try h.seek(toOffset: size / 2)
        try h.write(contentsOf: [byte])
    }

    @Test func aSnapshotOrSeedChangedSinceVerificationStopsTheBuildAndIsShownEverywhere() throws {
        let site = try MirroredSite(); defer { site.remove() }
        ok(try site.cbuild(["snapshot", "fetch", "--date", "20261122"]))
        ok(try site.cbuild(["seed", "fetch"]))
        ok(try site.cbuild(sim(["stage4/base"])))
        #expect(site.simRuns().count == 1)
        let builds = try sqlite(site.path, "SELECT COUNT(*) FROM node_build")

        let snapshot = "artifacts/snapshots/gentoo-20261122.xz.sqfs"
        let byte = try flipByte(site.path + "/" + snapshot)
        let refused = try site.cbuild(sim(["stage4/base", "stage4/vm/test"]))
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains(snapshot) && refused.stderr.contains("changed since it was verified"), "\(refused)")
        #expect(refused.stderr.contains("recorded") || refused.stderr.contains("was verified"), "names both digests: \(refused)")
        #expect(site.simRuns().count == 1, "catalyst did not run")
        #expect(try sqlite(site.path, "SELECT COUNT(*) FROM node_build") == builds, "nothing recorded")

        let list = try site.cbuild(["snapshot", "list"])
        #expect(list.stdout.contains("MODIFIED"), "\(list)")
        let doctor = try site.cbuild(["doctor"])
        #expect(doctor.status != 0 && doctor.stdout.contains("changed since it was verified"), "\(doctor)")
        let status = try site.cbuild(["status", "--json", "stage4/base"])
        let row = try #require(try objects(status).first { $0["node"] as? String == "stage4/base" })
        #expect(row["state"] as? String == "blocked" && (row["blockedBy"] as? String)?.contains("changed since it was verified") == true, "\(status)")

        try restoreByte(site.path + "/" + snapshot, byte)
        ok(try site.cbuild(sim(["stage4/base", "stage4/vm/test"])))
        #expect(site.simRuns().count == 2, "base is up to date again; vm/test builds")

        // The same for the seed.
        let seed = "artifacts/builds/seeds/stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz"
        let seedByte = try flipByte(site.path + "/" + seed)
        let refusedSeed = try site.cbuild(sim(["stage4/workstation"]))
        #expect(refusedSeed.status == 3 && refusedSeed.stderr.contains(seed), "\(refusedSeed)")
        #expect(site.simRuns().count == 2)
        try restoreByte(site.path + "/" + seed, seedByte)
        ok(try site.cbuild(sim(["stage4/workstation"])))
        #expect(site.simRuns().count == 3)
    }

    @Test func theSnapshotsBytesNotItsDateAreInTheKey() throws {
        let one = try ExampleBuildDirectory(); defer { one.remove() }
        let two = try ExampleBuildDirectory(); defer { two.remove() }
        // Same date, different bytes in the second directory.
        let h = try #require(FileHandle(forWritingAtPath: two.path + "/artifacts/snapshots/gentoo-20261124.xz.sqfs"))
        try h.seekToEnd(); try h.write(contentsOf: Array("different bytes".utf8)); try h.close()
        let a = try keys(ok(try one.cbuild(["status", "--json", "stage4/base", "stage4/vm/test"])))
        let b = try keys(ok(try two.cbuild(["status", "--json", "stage4/base", "stage4/vm/test"])))
        #expect(a["stage4/base"] != nil && a["stage4/base"] != b["stage4/base"], "\(a) \(b)")
        #expect(a["stage4/vm/test"] != b["stage4/vm/test"])
        // The same file under two roles: one key (promotion stays free).
        try one.setSnapshotRole("testing", date: "20261124")
        let both = try keys(ok(try one.cbuild(["status", "--json", "stage4/base", "stage4/base@canary"])))
        #expect(both["stage4/base"] == a["stage4/base"] && both["stage4/base@canary"] == a["stage4/base"], "\(both)")
    }

    @Test func aCatalystWhoseVersionChangesStalesEveryStageOnceAndExplainSaysSo() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let tools = try TemporaryDirectory(prefix: "cbuild-catalyst"); defer { tools.remove() }
        let wrapper = try CatalystWrapper.write(at: tools.path + "/catalyst", version: "Catalyst 4.1.1")
        try ExampleBuildDirectory.setCatalystCommand(wrapper, in: ex.path)
        ok(try ex.cbuild(["stage4/base", "stage4/vm/test"]))
        #expect(ex.simRuns().count == 2)
        ok(try ex.cbuild(["stage4/base", "stage4/vm/test"]))
        #expect(ex.simRuns().count == 2, "a no-op")
        let status = try objects(ok(try ex.cbuild(["status", "--json", "stage4/base"])))
        #expect(status.first?["catalyst"] as? String == "Catalyst 4.1.1", "\(status)")

        // An upgrade replaces the executable: every stage is stale, once.
        try CatalystWrapper.write(at: wrapper, version: "Catalyst 4.1.2")
        let explain = ok(try ex.cbuild(["explain", "stage4/base", "stage4/vm/test"]))
        #expect(explain.stdout.contains("catalyst: Catalyst 4.1.1 → Catalyst 4.1.2"), "\(explain)")
        ok(try ex.cbuild(["stage4/base", "stage4/vm/test"]))
        #expect(ex.simRuns().count == 4, "each stage rebuilt once")
        ok(try ex.cbuild(["stage4/base", "stage4/vm/test"]))
        #expect(ex.simRuns().count == 4, "then nothing")
        let history = ok(try ex.cbuild(["history", "stage4/base"]))
        #expect(history.stdout.contains("Catalyst 4.1.2") && history.stdout.contains("Catalyst 4.1.1"), "\(history)")

        // The simulator is another catalyst still: its builds do not satisfy this one.
        try ExampleBuildDirectory.setCatalystCommand(BuiltProducts.path("catalyst-sim"), in: ex.path)
        let sims = ok(try ex.cbuild(["explain", "stage4/base"]))
        #expect(sims.stdout.contains("catalyst: Catalyst 4.1.2 → ") && sims.stdout.contains("SIMULATOR"), "\(sims)")
    }

    @Test func aMovedDirectoryReadsItsOwnLogsAndStateNamesNoOldPath() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        ok(try ex.cbuild(sim(["stage4/base"])))
        let parent = try TemporaryDirectory(prefix: "cbuild-moved"); defer { parent.remove() }
        let moved = parent.path + "/site"
        try FileManager.default.moveItem(atPath: ex.path, toPath: moved)
        defer { try? FileManager.default.moveItem(atPath: moved, toPath: ex.path) }
        for file in ["state.db", "state.db-wal"] {
            guard let data = FileManager.default.contents(atPath: moved + "/.cache/" + file) else { continue }
            #expect(data.range(of: Data(ex.path.utf8)) == nil, "\(file) names the old directory")
        }
        let logs = try FileManager.default.contentsOfDirectory(atPath: moved + "/.cache/logs/stage4/base")
        let log = moved + "/.cache/logs/stage4/base/" + (try #require(logs.first))
        let h = try #require(FileHandle(forWritingAtPath: log))
        try h.seekToEnd(); try h.write(contentsOf: Array("MARKER OF THE MOVED DIRECTORY\n".utf8)); try h.close()
        let r = ok(try CLI.run(["log", "stage4/base"], in: moved))
        #expect(r.stdout.contains("MARKER OF THE MOVED DIRECTORY"), "\(r)")
        let again = try CLI.run(sim(["stage4/base"]), in: moved)
        #expect(again.status == 0 && (again.stdout + again.stderr).contains("nothing to do"), "\(again)")
    }

    @Test func aTargetOnAFrozenSeedRoleStaysCleanWhenStableMoves() throws {
        let site = try MirroredSite(); defer { site.remove() }
        ok(try site.cbuild(["snapshot", "fetch", "--date", "20261122"]))
        ok(try site.cbuild(["seed", "fetch"]))
        // Freeze vm/test on the current release, fetched by its timestamp.
        let frozen = ok(try site.cbuild(["seed", "fetch", "amd64-openrc", "--timestamp", MirrorFixture.seedIdent, "--role", "frozen"]))
        #expect(site.link("artifacts/builds/seeds/amd64-openrc-frozen.tar.xz") == "stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz", "\(frozen)")
        try site.edit("targets/vm/test.toml") { $0.replacingOccurrences(of: "seed = \"seed/amd64-openrc\"", with: "seed = \"seed/amd64-openrc\"\nseed_role = \"frozen\"") }
        ok(try site.cbuild(sim(["stage4/vm/test", "stage4/workstation"])))
        #expect(site.simRuns().count == 2)
        #expect(try String(contentsOfFile: site.path + "/cbuild.lock", encoding: .utf8).contains("frozen"), "the lock pins the frozen seed")

        // A newer release arrives and stable moves to it.
        try site.mirror.addSeed(ident: "20261124T170000Z")
        let moved = ok(try site.cbuild(["seed", "fetch", "amd64-openrc"]))
        #expect(site.link("artifacts/builds/seeds/amd64-openrc-stable.tar.xz") == "stage3-amd64-openrc-20261124T170000Z.tar.xz", "\(moved)")
        var states: [String: String] = [:]
        for row in try objects(ok(try site.cbuild(["status", "--json", "stage4/vm/test", "stage4/workstation"]))) {
            if let n = row["node"] as? String { states[n] = row["state"] as? String }
        }
        #expect(states["stage4/vm/test"] == "clean", "\(states)")
        #expect(states["stage4/workstation"] == "stale", "\(states)")
        // A timestamp the mirror does not have is a clear failure.
        let missing = try site.cbuild(["seed", "fetch", "amd64-openrc", "--timestamp", "20260101T000000Z", "--role", "old"])
        #expect(missing.status == 1 && missing.stderr.contains("20260101T000000Z"), "\(missing)")
        // seed_role on a target seeded from another target is refused.
        try site.edit("targets/aws/web.toml") { $0.replacingOccurrences(of: "seed = \"stage4/base\"", with: "seed = \"stage4/base\"\nseed_role = \"frozen\"") }
        let bad = try site.cbuild(["status"])
        #expect(bad.status == 2 && bad.stderr.contains("targets/aws/web.toml") && bad.stderr.contains("seed_role"), "\(bad)")
    }

    @Test func theFirstRunAfterTheKeySchemeChangeSaysWhyOnce() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        ok(try ex.cbuild(sim(["stage4/base"])))
        // What a state database written by the previous release holds.
        // (its keys were computed without catalyst's identity and the snapshot).
        _ = try sqlite(ex.path, """
            UPDATE node_build SET recipe = 'catalyst-stage@1', key = 'sha256:' || substr('0000000000' || key, 1, 64)
            WHERE recipe = 'catalyst-stage@2'
            """)
        let explain = ok(try ex.cbuild(["explain", "stage4/base"]))
        #expect(explain.stdout.contains("key scheme changed: catalyst identity and snapshot digest are now inputs"), "\(explain)")
        ok(try ex.cbuild(sim(["stage4/base"])))
        let after = ok(try ex.cbuild(["explain", "stage4/base"]))
        #expect(!after.stdout.contains("key scheme changed"), "\(after)")
    }

    @Test func aBuildRefusedForBadInputRecordsNothingNotEvenInit() throws {
        let ex = try ExampleBuildDirectory(stableDate: nil); defer { ex.remove() }
        let r = try ex.cbuild(sim(["stage4/base"]))
        #expect(r.status == 2 && r.stderr.contains("snapshot role 'stable' points nowhere"), "\(r)")
        #expect(try sqlite(ex.path, "SELECT COUNT(*) FROM node_build") == "0")
    }

    @Test func explainAfterAFailedAttemptComparesWithTheGoodBuild() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        ok(try ex.cbuild(sim(["stage4/base"])))
        try ex.edit("targets/base.toml") { $0.replacingOccurrences(of: "packages = [", with: "packages = [\"app-misc/screen\", ") }
        let failed = try ex.cbuild(sim(["stage4/base"]), environment: ["CATALYST_SIM_FAIL": "*"])
        #expect(failed.status == 1, "\(failed)")
        let explain = ok(try ex.cbuild(["explain", "stage4/base"]))
        #expect(explain.stdout.contains("last attempt failed at"), "\(explain)")
        #expect(explain.stdout.contains("cbuild log stage4/base"), "\(explain)")
        #expect(explain.stdout.contains("app-misc/screen"), "the change against the good build: \(explain)")
    }
}
