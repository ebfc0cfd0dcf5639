import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// The snapshot and seed commands through the CLI, against the signed test
/// mirror (dates 20261123 and 20261122; "today" pinned to 20261125).
@Suite struct SnapshotCLITests {
    func setUp(mirrorURL: ((MirrorFixture) -> String)? = nil) throws -> (ExampleBuildDirectory, MirrorFixture) {
        let ex = try ExampleBuildDirectory(snapshotDates: [], stableDate: nil)
        try FileManager.default.removeItem(atPath: ex.path + "/artifacts")
        let mirror = try MirrorFixture()
        try FileManager.default.copyItem(atPath: mirror.keyFile, toPath: ex.path + "/keys/mirror.asc")
        let url = mirrorURL?(mirror) ?? mirror.fileURL
        let toml = try String(contentsOfFile: ex.path + "/cbuild.toml", encoding: .utf8)
            .replacingOccurrences(of: "mirrors = [\"file:///srv/gentoo-mirror\"]", with: "mirrors = [\"\(url)\"]")
            .replacingOccurrences(of: "allow_http = false", with: "allow_http = true")
        try toml.write(toFile: ex.path + "/cbuild.toml", atomically: true, encoding: .utf8)
        return (ex, mirror)
    }

    func run(_ ex: ExampleBuildDirectory, _ args: [String]) throws -> CLIResult {
        try ex.cbuild(args, environment: ["CBUILD_NOW": "20261125"])
    }

    @Test func fetchPromoteRollbackPruneVerifyAndExplainTheMove() throws {
        let (ex, mirror) = try setUp(); defer { ex.remove(); mirror.remove() }
        let older = try run(ex, ["snapshot", "fetch", "--date", "20261122"])
        #expect(older.status == 0, "\(older)")
        #expect(older.stdout.contains("role stable: (none) → 20261122"), "\(older)")
        #expect(try run(ex, ["seed", "fetch", "amd64-openrc"]).status == 0)
        #expect(try run(ex, ExampleBuildDirectory.withSim(["stage4/vm/test", "stage4/workstation"])).status == 0)

        // The newest dated snapshot (today-1 is missing, so today-2) into testing.
        let testing = try run(ex, ["snapshot", "fetch", "--role", "testing"])
        #expect(testing.stdout.contains("role testing: (none) → 20261123"), "\(testing)")
        let list = try run(ex, ["snapshot", "list", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows.contains { ($0["roles"] as? [String]) == ["stable"] && ($0["targets"] as? [String])?.contains("stage4/vm/test") == true })

        // Promote stable forward: explain names the move; exactly the stable targets are stale.
        let promote = try run(ex, ["snapshot", "promote", "stable", "20261123"])
        #expect(promote.status == 0, "\(promote)")
        let explain = try run(ex, ["explain", "stage4/vm/test"])
        #expect(explain.stdout.contains("snapshot/stable: gentoo-20261122 → gentoo-20261123"), "\(explain)")
        let status = try run(ex, ["status", "--json", "stage4/vm/test", "stage4/workstation"])
        #expect(status.stdout.components(separatedBy: "\"stale\"").count == 3, "\(status)")

        // Backwards is refused; rollback is the named way back.
        let back = try run(ex, ["snapshot", "promote", "stable", "20261122"])
        #expect(back.status == 2, "\(back)")
        #expect(back.stderr.contains("rollback"), "\(back)")
        let rollback = try run(ex, ["snapshot", "rollback", "stable"])
        #expect(rollback.status == 0, "\(rollback)")
        #expect(rollback.stdout.contains("rollback: snapshot role stable: 20261123 → 20261122"), "\(rollback)")
        // Back on the old snapshot, the earlier builds are current again: nothing runs.
        let rebuilt = try run(ex, ExampleBuildDirectory.withSim(["stage4/vm/test", "stage4/workstation"]))
        #expect(rebuilt.stdout.contains("nothing to do"), "\(rebuilt)")
        #expect(ex.simRuns().count == 2)

        // Prune keeps what roles and current builds use.
        let prune = try run(ex, ["snapshot", "prune", "--keep", "0"])
        #expect(prune.status == 0, "\(prune)")
        #expect(ex.dir.exists("artifacts/snapshots/gentoo-20261122.xz.sqfs"), "used by stable and the current builds")
        #expect(ex.dir.exists("artifacts/snapshots/gentoo-20261123.xz.sqfs"), "used by testing")

        // verify: a tampered file is exit 3.
        #expect(try run(ex, ["snapshot", "verify"]).status == 0)
        let file = ex.path + "/artifacts/snapshots/gentoo-20261123.xz.sqfs"
        let h = try #require(FileHandle(forUpdatingAtPath: file)); try h.seek(toOffset: 100); h.write(Data("tampered".utf8)); try h.close()
        let verify = try run(ex, ["snapshot", "verify"])
        #expect(verify.status == 3, "\(verify)")
        #expect(verify.stdout.contains("MODIFIED  gentoo-20261123.xz.sqfs"), "\(verify)")
    }

    @Test func aBadSignatureIsExitThreeAndLeavesRolesAlone() throws {
        let (ex, mirror) = try setUp(); defer { ex.remove(); mirror.remove() }
        #expect(try run(ex, ["snapshot", "fetch", "--date", "20261122"]).status == 0)
        try mirror.corrupt("snapshots/squashfs/gentoo-20261123.xz.sqfs")
        let r = try run(ex, ["snapshot", "fetch"])
        #expect(r.status == 3, "\(r)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ex.path + "/artifacts/snapshots/gentoo-stable.sqfs")
                == "gentoo-20261122.xz.sqfs")
        #expect(!ex.dir.exists("artifacts/snapshots/gentoo-20261123.xz.sqfs"), "a file that fails is deleted")
    }

    @Test func lockedFetchOnAFreshCloneOverHTTP() throws {
        let (ex, mirror) = try setUp(); defer { ex.remove(); mirror.remove() }
        let nginx = try NginxServer(root: mirror.root); defer { nginx.kill() }
        var toml = try String(contentsOfFile: ex.path + "/cbuild.toml", encoding: .utf8)
        toml = toml.replacingOccurrences(of: mirror.fileURL, with: nginx.baseURL)
        try toml.write(toFile: ex.path + "/cbuild.toml", atomically: true, encoding: .utf8)
        #expect(try run(ex, ["snapshot", "fetch", "--date", "20261122"]).status == 0)
        #expect(try run(ex, ["seed", "fetch", "amd64-openrc"]).status == 0)
        #expect(ex.dir.exists("cbuild.lock"))
        // A fresh clone: the committed files only.
        let clone = try TemporaryDirectory(prefix: "cbuild-clone"); defer { clone.remove() }
        for e in ExampleBuildDirectory.exampleEntries + ["cbuild.lock"] where ex.dir.exists(e) {
            try FileManager.default.createDirectory(atPath: ((clone.path + "/" + e) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ex.path + "/" + e, toPath: clone.path + "/" + e)
        }
        let snap = try CLI.run(["snapshot", "fetch", "--locked"], in: clone.path, environment: ["CBUILD_NOW": "20261125"])
        #expect(snap.status == 0, "\(snap)")
        #expect(snap.stdout.contains("gentoo-20261122.xz.sqfs"), "the locked date, not the newest")
        let seed = try CLI.run(["seed", "fetch", "--locked"], in: clone.path, environment: ["CBUILD_NOW": "20261125"])
        #expect(seed.status == 0, "\(seed)")
        #expect(try String(contentsOfFile: clone.path + "/cbuild.lock", encoding: .utf8)
                == String(contentsOfFile: ex.path + "/cbuild.lock", encoding: .utf8))
        #expect(nginx.requests().contains { $0.uri.hasSuffix("gentoo-20261122.xz.sqfs") && $0.status == 200 })
    }
}
