import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// `cbuild snapshot …` and `cbuild seed …` through the real binary against
/// the signed test mirror: fetch (file:// and nginx), list, promote,
/// rollback, prune, verify, bad signatures, `--locked` on a fresh copy, and
/// what a role move does to the graph.
@Suite struct SnapshotCommandTests {
    let sim = ExampleBuildDirectory.withSim
    static let snapshots = "artifacts/snapshots"
    static let seeds = "artifacts/builds/seeds"

    /// Runs a command that must succeed.
    @discardableResult
    func ok(_ site: MirroredSite, _ args: [String], _ sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> CLIResult {
        let r = try site.cbuild(args)
        #expect(r.status == 0, "\(args): \(r)", sourceLocation: sourceLocation)
        return r
    }

    /// The JSON array of objects a command printed.
    func objects(_ r: CLIResult) throws -> [[String: Any]] {
        let value = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        return try #require(value as? [[String: Any]], "not a JSON array of objects: \(r)")
    }

    @Test func fetchFromAFileMirrorThenListAndListAsJSON() throws {
        let site = try MirroredSite(); defer { site.remove() }
        // Today is 20261125: 20261124 is not on the mirror, 20261123 is.
        let fetch = try ok(site, ["snapshot", "fetch"])
        #expect(fetch.stdout.contains("fetched and verified gentoo-20261123.xz.sqfs"), "\(fetch)")
        #expect(fetch.stdout.contains(site.mirror.fingerprint), "\(fetch)")
        #expect(site.link("\(Self.snapshots)/gentoo-stable.sqfs") == "gentoo-20261123.xz.sqfs")
        let seed = try ok(site, ["seed", "fetch", "amd64-openrc"])
        #expect(seed.stdout.contains("stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz"), "\(seed)")
        #expect(site.link("\(Self.seeds)/amd64-openrc-stable.tar.xz") == "stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz")

        let list = try ok(site, ["snapshot", "list"])
        let row = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("20261123") }, "\(list)")
        #expect(row.contains("stable") && row.contains(String(site.mirror.fingerprint.suffix(16))) && row.contains("stage4/vm/test"), "\(row)")

        let listed = try objects(try ok(site, ["snapshot", "list", "--json"]))
        #expect(listed.count == 1)
        let entry = try #require(listed.first)
        #expect(entry["ident"] as? String == "20261123")
        #expect(entry["file"] as? String == "gentoo-20261123.xz.sqfs")
        #expect(entry["roles"] as? [String] == ["stable"])
        #expect(entry["verifiedBy"] as? String == site.mirror.fingerprint)
        #expect(entry["insecure"] as? Bool == false)
        let size = try #require(entry["size"] as? Int)
        #expect(Int64(size) == DirectoryListing.entry(site.path + "/\(Self.snapshots)/gentoo-20261123.xz.sqfs")?.size)
        #expect((entry["targets"] as? [String])?.contains("stage4/workstation") == true, "\(entry)")
        #expect((entry["targets"] as? [String])?.contains { $0.contains("@") } == false, "canary is on testing: \(entry)")

        let seeds = try objects(try ok(site, ["seed", "list", "--json"]))
        #expect(seeds.first?["ident"] as? String == MirrorFixture.seedIdent)
        #expect(seeds.first?["roles"] as? [String] == ["stable"])
        let lock = try site.dir.read("cbuild.lock")
        #expect(lock.contains("[snapshots.stable]\ndate = \"20261123\""), "\(lock)")
        #expect(lock.contains("release = \"\(MirrorFixture.seedIdent)\""), "\(lock)")
    }

    @Test func fetchFromNginxAfterAMirrorThatIsDown() throws {
        let site = try MirroredSite(); defer { site.remove() }
        let nginx = try NginxServer(root: site.mirror.root); defer { nginx.kill() }
        let down = "http://127.0.0.1:\(try NginxServer.closedPort())"
        try site.setMirrors([down, nginx.baseURL], allowHTTP: true)
        let fetch = try ok(site, ["snapshot", "fetch", "--role", "testing"])
        #expect(fetch.stdout.contains("fetched and verified gentoo-20261123.xz.sqfs"), "\(fetch)")
        #expect(try ok(site, ["seed", "fetch"]).stdout.contains("fetched and verified"))
        let served = nginx.requests().filter { $0.status == 200 }.map(\.uri)
        #expect(served.contains("/snapshots/squashfs/gentoo-20261123.xz.sqfs"), "\(served)")
        #expect(served.contains("/snapshots/squashfs/sha512sum.txt"), "\(served)")
        #expect(served.contains("/" + site.mirror.seedPath), "\(served)")
        #expect(site.link("\(Self.snapshots)/gentoo-testing.sqfs") == "gentoo-20261123.xz.sqfs")
        let stored = try ContentHasher.digestFile(at: site.path + "/\(Self.snapshots)/gentoo-20261123.xz.sqfs", .sha256)
        let published = try ContentHasher.digestFile(at: site.mirror.path("snapshots/squashfs/gentoo-20261123.xz.sqfs"), .sha256)
        #expect(stored == published)
        // Plain http is refused unless the site allows it.
        try site.setMirrors([nginx.baseURL], allowHTTP: false)
        let refused = try site.cbuild(["snapshot", "fetch", "--date", "20261122"])
        #expect(refused.status == 2, "\(refused)")
        #expect(!site.entries(Self.snapshots).contains("gentoo-20261122.xz.sqfs"))
    }

    @Test func promoteForwardRefuseBackwardsAndRollBack() throws {
        let site = try MirroredSite(); defer { site.remove() }
        let link = "\(Self.snapshots)/gentoo-stable.sqfs"
        try ok(site, ["snapshot", "fetch", "--date", "20261122"])
        try ok(site, ["snapshot", "fetch", "--date", "20261123", "--role", "testing"])
        #expect(site.link(link) == "gentoo-20261122.xz.sqfs")

        let promote = try ok(site, ["snapshot", "promote", "stable", "20261123"])
        #expect(promote.stdout.contains("20261122 → 20261123"), "\(promote)")
        #expect(site.link(link) == "gentoo-20261123.xz.sqfs")
        #expect(try site.dir.read("cbuild.lock").contains("[snapshots.stable]\ndate = \"20261123\""))

        let backwards = try site.cbuild(["snapshot", "promote", "stable", "20261122"])
        #expect(backwards.status == 2, "\(backwards)")
        #expect(backwards.stderr.contains("rollback"), "\(backwards)")
        #expect(site.link(link) == "gentoo-20261123.xz.sqfs", "a refused promote moves nothing")

        let rollback = try ok(site, ["snapshot", "rollback", "stable"])
        #expect(rollback.stdout.contains("rollback") && rollback.stdout.contains("20261123 → 20261122"), "\(rollback)")
        #expect(site.link(link) == "gentoo-20261122.xz.sqfs")
        #expect(site.link("\(Self.snapshots)/gentoo-testing.sqfs") == "gentoo-20261123.xz.sqfs", "other roles stay")
        #expect(try site.dir.read("cbuild.lock").contains("[snapshots.stable]\ndate = \"20261122\""))
        // Rolling "back" to a newer date is a promote, not a rollback.
        #expect(try site.cbuild(["snapshot", "rollback", "stable", "20261123"]).status == 2)
        #expect(site.link(link) == "gentoo-20261122.xz.sqfs")
    }

    @Test func pruneKeepOneKeepsWhatARoleOrACurrentBuildUses() throws {
        let site = try MirroredSite(); defer { site.remove() }
        try site.mirror.addSnapshot(date: "20261121")
        try ok(site, ["seed", "fetch"])
        try ok(site, ["snapshot", "fetch", "--date", "20261121"])
        try ok(site, ["snapshot", "fetch", "--date", "20261122"])
        try ok(site, sim(["stage4/vm/test"]))     // built on 20261122
        try ok(site, ["snapshot", "fetch"])       // stable → 20261123
        #expect(site.link("\(Self.snapshots)/gentoo-stable.sqfs") == "gentoo-20261123.xz.sqfs")

        let dry = try ok(site, ["snapshot", "prune", "--keep", "1", "--dry-run"])
        #expect(dry.stdout.split(separator: "\n") == ["would remove gentoo-20261121.xz.sqfs"], "\(dry)")
        #expect(site.entries(Self.snapshots).contains("gentoo-20261121.xz.sqfs"))
        let prune = try ok(site, ["snapshot", "prune", "--keep", "1"])
        #expect(prune.stdout.split(separator: "\n") == ["removed gentoo-20261121.xz.sqfs"], "\(prune)")
        // 20261123: newest and stable; 20261122: the current build of stage4/vm/test uses it.
        #expect(site.entries(Self.snapshots) == ["gentoo-20261122.xz.sqfs", "gentoo-20261123.xz.sqfs", "gentoo-stable.sqfs"])
        #expect(try ok(site, ["snapshot", "prune", "--keep", "1"]).stdout.contains("nothing to prune"))
        #expect(try ok(site, ["snapshot", "verify"]).stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("ok ") })
    }

    @Test func verifyAfterAStoredFileWasTamperedWithExitsThree() throws {
        let site = try MirroredSite(); defer { site.remove() }
        try ok(site, ["snapshot", "fetch", "--date", "20261122", "--role", "old"])
        try ok(site, ["snapshot", "fetch"])
        try ok(site, ["seed", "fetch"])
        #expect(try ok(site, ["snapshot", "verify"]).stdout.split(separator: "\n").count == 2)
        let file = site.path + "/\(Self.snapshots)/gentoo-20261122.xz.sqfs"
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data("tampered".utf8))
        try handle.close()
        let r = try site.cbuild(["snapshot", "verify"])
        #expect(r.status == 3, "\(r)")
        #expect(r.stdout.contains("MODIFIED  gentoo-20261122.xz.sqfs"), "\(r)")
        #expect(r.stdout.contains("ok        gentoo-20261123.xz.sqfs"), "\(r)")
        // Seeds are checked on their own.
        #expect(try ok(site, ["seed", "verify"]).stdout.hasPrefix("ok "))
        let seed = site.path + "/\(Self.seeds)/stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz"
        #expect(truncate(seed, 1000) == 0)
        #expect(try site.cbuild(["seed", "verify"]).status == 3)
    }

    @Test func aBadSignatureOnTheMirrorExitsThreeAndLeavesRolesAlone() throws {
        let site = try MirroredSite(); defer { site.remove() }
        try ok(site, ["snapshot", "fetch", "--date", "20261122"])
        let lockBefore = try site.dir.read("cbuild.lock")
        try site.mirror.breakSignedText(MirrorFixture.sha512List)
        let r = try site.cbuild(["snapshot", "fetch"])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.lowercased().contains("bad signature"), "\(r)")
        #expect(site.link("\(Self.snapshots)/gentoo-stable.sqfs") == "gentoo-20261122.xz.sqfs")
        #expect(site.entries(Self.snapshots) == ["gentoo-20261122.xz.sqfs", "gentoo-stable.sqfs"])
        #expect(site.entries("artifacts/.partial").isEmpty, "\(site.entries("artifacts/.partial"))")
        #expect(try site.dir.read("cbuild.lock") == lockBefore)
        // A seed listing signed by a key the site does not trust: exit 3, no seed.
        let stranger = try GPGFixture(name: "not the mirror's key"); defer { stranger.remove() }
        let listing = try site.mirror.signedText(site.mirror.listingPath)
        let plain = site.mirror.directory.path + "/listing.txt"
        try listing.write(toFile: plain, atomically: true, encoding: .utf8)
        try stranger.clearsign(plain, output: site.mirror.path(site.mirror.listingPath))
        let seed = try site.cbuild(["seed", "fetch"])
        #expect(seed.status == 3, "\(seed)")
        #expect(seed.stderr.contains("unknown key"), "\(seed)")
        #expect(site.entries(Self.seeds).isEmpty, "\(site.entries(Self.seeds))")
    }

    @Test func lockedOnAFreshCopyFetchesExactlyTheLockedFiles() throws {
        let site = try MirroredSite(); defer { site.remove() }
        try ok(site, ["snapshot", "fetch", "--date", "20261122"])
        try ok(site, ["seed", "fetch"])
        let lock = try site.dir.read("cbuild.lock")
        // A fresh clone: the committed files and cbuild.lock, no artifacts/ or .cache/.
        let clone = try TemporaryDirectory(prefix: "cbuild-clone"); defer { clone.remove() }
        try MirroredSite.copyExample(into: clone.path)
        try FileManager.default.removeItem(atPath: clone.path + "/cbuild.toml")
        for f in ["cbuild.toml", "cbuild.lock", MirroredSite.keyFile] {
            try FileManager.default.copyItem(atPath: site.path + "/" + f, toPath: clone.path + "/" + f)
        }
        #expect(!clone.exists("artifacts") && !clone.exists(".cache"))

        let snap = try MirroredSite.cbuild(["snapshot", "fetch", "--locked"], in: clone.path)
        #expect(snap.status == 0, "\(snap)")
        let seed = try MirroredSite.cbuild(["seed", "fetch", "--locked"], in: clone.path)
        #expect(seed.status == 0, "\(seed)")
        // Exactly the locked date, although the mirror has a newer one.
        #expect(try FileManager.default.contentsOfDirectory(atPath: clone.path + "/\(Self.snapshots)").sorted()
                == ["gentoo-20261122.xz.sqfs", "gentoo-stable.sqfs"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: clone.path + "/\(Self.seeds)").sorted()
                == ["amd64-openrc-stable.tar.xz", "stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz"])
        for (mine, theirs) in [("\(Self.snapshots)/gentoo-20261122.xz.sqfs", "\(Self.snapshots)/gentoo-20261122.xz.sqfs"),
                               ("\(Self.seeds)/amd64-openrc-stable.tar.xz", "\(Self.seeds)/amd64-openrc-stable.tar.xz")] {
            let a = try ContentHasher.digestFile(at: clone.path + "/" + mine, .sha256)
            let b = try ContentHasher.digestFile(at: site.path + "/" + theirs, .sha256)
            #expect(a == b, "\(mine)")
            #expect(lock.contains(a.hex), "\(mine) is not the locked file")
        }
        #expect(try clone.read("cbuild.lock") == lock, "fetching what the lock names changes no line of it")

        // A lock naming bytes the mirror does not have: exit 3, nothing stored.
        let other = try TemporaryDirectory(prefix: "cbuild-clone"); defer { other.remove() }
        try MirroredSite.copyExample(into: other.path)
        try FileManager.default.removeItem(atPath: other.path + "/cbuild.toml")
        for f in ["cbuild.toml", MirroredSite.keyFile] {
            try FileManager.default.copyItem(atPath: site.path + "/" + f, toPath: other.path + "/" + f)
        }
        let sha = try ContentHasher.digestFile(at: site.path + "/\(Self.snapshots)/gentoo-20261122.xz.sqfs", .sha256).hex
        try other.write("cbuild.lock", lock.replacingOccurrences(of: sha, with: String(repeating: "0", count: 64)))
        let bad = try MirroredSite.cbuild(["snapshot", "fetch", "--locked"], in: other.path)
        #expect(bad.status == 3, "\(bad)")
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: other.path + "/\(Self.snapshots)")) ?? []
        #expect(stored.isEmpty, "\(stored)")
    }

    @Test func afterAPromoteExplainNamesTheMoveAndOnlyTargetsOnThatRoleAreStale() throws {
        let site = try MirroredSite(); defer { site.remove() }
        try ok(site, ["seed", "fetch"])
        try ok(site, ["snapshot", "fetch", "--date", "20261122"])
        try ok(site, ["snapshot", "fetch", "--date", "20261122", "--role", "testing"])
        try ok(site, ["snapshot", "fetch", "--date", "20261123", "--role", "next"])
        try ok(site, sim(["fleet/prod", "fleet/canary"]))
        #expect(site.simRuns().count == 6, "canary on testing reuses prod's builds: \(site.simRuns())")

        let promote = try ok(site, ["snapshot", "promote", "stable", "20261123"])
        #expect(promote.stdout.contains("20261122 → 20261123"), "\(promote)")
        let explain = try ok(site, ["explain", "fleet/prod", "fleet/canary"])
        #expect(explain.stdout.contains("snapshot/stable: gentoo-20261122 → gentoo-20261123"), "\(explain)")
        #expect(!explain.stdout.contains("snapshot/testing"), "\(explain)")

        let rows = try objects(try ok(site, ["status", "--json"]))
        var states: [String: String] = [:]
        for r in rows { if let node = r["node"] as? String { states[node] = r["state"] as? String ?? "" } }
        let onStable = states.keys.filter { $0.hasPrefix("stage4/") && !$0.contains("@") }.sorted()
        let onTesting = states.keys.filter { $0.hasPrefix("stage4/") && $0.hasSuffix("@canary") }.sorted()
        #expect(onStable.count == 6 && onTesting.count == 6, "\(states)")
        for n in onStable { #expect(states[n] == "stale", "\(n): \(states[n] ?? "-")") }
        for n in onTesting { #expect(states[n] == "clean", "\(n): \(states[n] ?? "-")") }

        let entries = try objects(try ok(site, ["explain", "--json", "fleet/prod", "fleet/canary"]))
        let toBuild = Set(entries.filter { $0["verdict"] as? String == "build" }.compactMap { $0["node"] as? String })
        #expect(toBuild == Set(onStable), "\(toBuild)")
    }
}
