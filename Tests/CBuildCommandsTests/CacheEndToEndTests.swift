import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// Two build directories sharing one cache (nginx WebDAV on 127.0.0.1),
/// driven through the real binaries with the catalyst simulator: what A
/// builds and pushes, B installs without running catalyst; a tampered blob
/// or a badly signed record is refused and rebuilt; a stopped server costs
/// one warning; `--no-deps` builds one node from what is available.
@Suite(.serialized) struct CacheEndToEndTests {
    let sim = ExampleBuildDirectory.withSim
    static let key = "5d41402abc4b2a76b9719d911017c592aa\n"

    /// A copy of the example directory using `server` as its cache.
    func directory(_ server: WebDAVServer, key: String = CacheEndToEndTests.key, push: Bool = true) throws -> ExampleBuildDirectory {
        let ex = try ExampleBuildDirectory()
        try ex.dir.write("secrets/cache.key", key)
        let toml = try ex.dir.read("cbuild.toml") + """

            [cache]
            remote = "\(server.baseURL)"
            push = \(push)
            sign_key = "secrets/cache.key"
            timeout = 5

            """
        try ex.dir.write("cbuild.toml", toml)
        return ex
    }

    func warnings(_ r: CLIResult) -> [String] {
        r.stderr.split(separator: "\n").map(String.init).filter { $0.contains("warning:") }
    }

    @Test func simulatedOutputsInTheCacheAreNotFetchedByADirectoryWithAnotherCatalyst() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try directory(server); defer { a.remove() }
        #expect(try a.cbuild(["stage4/base"]).status == 0)
        #expect(a.simRuns().count == 1)
        let b = try directory(server); defer { b.remove() }
        let tools = try TemporaryDirectory(prefix: "cbuild-catalyst"); defer { tools.remove() }
        try ExampleBuildDirectory.setCatalystCommand(try CatalystWrapper.write(at: tools.path + "/catalyst", version: "Catalyst 4.1.1"), in: b.path)
        let r = try b.cbuild(["stage4/base"])
        #expect(r.status == 0, "\(r)")
        #expect(b.simRuns().count == 1, "built here by its own catalyst, not fetched: \(r)")
        #expect(!(r.stdout + r.stderr).contains("from cache"), "\(r)")
        // A third directory with the simulator does fetch A's build.
        let c = try directory(server); defer { c.remove() }
        #expect(try c.cbuild(["stage4/base"]).status == 0)
        #expect(c.simRuns().isEmpty, "same catalyst: fetched")
    }

    @Test func aSecondDirectoryBuildsWhatTheFirstPushedWithoutRunningCatalyst() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try directory(server); defer { a.remove() }
        let first = try a.cbuild(sim(["stage4/aws/web"]))
        #expect(first.status == 0, "\(first)")
        #expect(a.simRuns().count == 2)
        #expect(server.entries("ac").count == 2, "base and aws/web are pushed")

        let b = try directory(server, push: false); defer { b.remove() }
        let explain = try b.cbuild(["explain", "stage4/aws/web"])
        #expect(explain.status == 0, "\(explain)")
        #expect(explain.stdout.contains("from cache: \(server.baseURL)/ac/"), "\(explain.stdout)")
        #expect(explain.stdout.contains("2 to fetch from the cache"), "\(explain.stdout)")

        let fetchStarted = Date()
        let second = try b.cbuild(sim(["stage4/aws/web"]))
        #expect(second.status == 0, "\(second)")
        #expect(b.simRuns().isEmpty, "B runs catalyst zero times: \(b.simRuns())")
        #expect(second.stdout.contains("2 from cache"), "\(second)")
        #expect(warnings(second).isEmpty, "\(second)")
        // Fetched files are dated to their build and their digests (taken
        // while they arrived) are in B's digest cache: the next command
        // does not read them again (the fetch itself recorded them).
        let stage = try FileManager.default.destinationOfSymbolicLink(atPath: b.path + "/artifacts/out/stage4/aws/web.tar.xz")
        let stagePath = URL(fileURLWithPath: b.path + "/artifacts/out/stage4/aws/web.tar.xz").deletingLastPathComponent()
            .appendingPathComponent(stage).standardizedFileURL.path
        let mtime = try #require(try FileManager.default.attributesOfItem(atPath: stagePath)[.modificationDate] as? Date)
        #expect(mtime < fetchStarted, "dated to A's build, not to the download: \(mtime) vs \(fetchStarted)")
        let rows = try SystemProcessRunner().run(["sqlite3", b.path + "/.cache/state.db",
                                                  "SELECT sha256 FROM file_digest WHERE path = '\(stagePath.dropFirst(b.path.count + 1))'"])
        #expect(rows.stdoutString.hasPrefix("sha256:" + (try sha256(stagePath))), "\(rows.stdoutString)\(rows.stderrString)")
        for node in ["stage4/base", "stage4/aws/web"] {
            let link = "artifacts/out/\(node).tar.xz"
            let inB = try FileManager.default.destinationOfSymbolicLink(atPath: b.path + "/" + link)
            #expect(inB == (try FileManager.default.destinationOfSymbolicLink(atPath: a.path + "/" + link)))
            #expect(FileManager.default.contentsEqual(atPath: a.path + "/" + link, andPath: b.path + "/" + link))
        }
        let status = try b.cbuild(["status", "stage4/aws/web"])
        #expect(status.stdout.contains("clean (from cache)"), "\(status)")
        let again = try b.cbuild(sim(["stage4/aws/web"]))
        #expect(again.stdout.contains("nothing to do"), "\(again)")
        #expect(b.simRuns().isEmpty)
    }

    @Test func aBlobChangedOnTheServerIsRejectedAndTheNodeRebuilt() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try directory(server); defer { a.remove() }
        #expect(try a.cbuild(sim(["stage4/vm/test"])).status == 0)
        let hex = try sha256(a.path + "/artifacts/out/stage4/vm/test.tar.xz")
        let blob = server.store + "/cas/" + hex
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: blob)))
        bytes[bytes.count / 2] ^= 0x01
        _ = FileManager.default.createFile(atPath: blob, contents: Data(bytes))

        let b = try directory(server); defer { b.remove() }
        let r = try b.cbuild(sim(["stage4/vm/test"]))
        #expect(r.status == 0, "\(r)")
        #expect(b.simRuns().count == 1, "the node is built locally")
        #expect(warnings(r).count == 1, "\(r)")
        #expect(warnings(r).first?.contains("cas/\(hex)") == true, "\(r)")
        #expect(warnings(r).first?.contains("corrupt") == true, "\(r)")
    }

    @Test func aRecordWithABadSignatureIsIgnoredAndTheNodeRebuilt() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try directory(server, key: "an entirely different shared key\n"); defer { a.remove() }
        #expect(try a.cbuild(sim(["stage4/vm/test"])).status == 0)
        let entry = try #require(server.entries("ac").first)

        let b = try directory(server, push: false); defer { b.remove() }
        let r = try b.cbuild(sim(["stage4/vm/test"]))
        #expect(r.status == 0, "\(r)")
        #expect(b.simRuns().count == 1)
        #expect(warnings(r).count == 1, "\(r)")
        #expect(warnings(r).first?.contains(entry) == true && warnings(r).first?.contains("bad signature") == true, "\(r)")
    }

    @Test func withTheServerStoppedBBuildsLocallyWithOneWarning() throws {
        let server = try WebDAVServer()
        let b = try directory(server); defer { b.remove() }
        server.stop()
        let r = try b.cbuild(sim(["stage4/aws/web"]))
        #expect(r.status == 0, "\(r)")
        #expect(b.simRuns().count == 2)
        #expect(warnings(r).count == 1, "\(r)")
        #expect(warnings(r).first?.contains("is not usable") == true, "\(r)")
    }

    @Test func noDepsBuildsOneNodeFromWhatIsAvailable() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try directory(server); defer { a.remove() }
        let missing = try a.cbuild(["build"] + sim(["stage4/aws/web", "--no-deps"]))
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("its input stage4/base is built neither here nor in the cache"), "\(missing)")
        #expect(a.simRuns().isEmpty)

        #expect(try a.cbuild(["build"] + sim(["stage4/base", "--no-deps"])).status == 0)
        #expect(a.simRuns().count == 1)
        let again = try a.cbuild(["build"] + sim(["stage4/base", "--no-deps"]))
        #expect(again.status == 0, "\(again)")
        #expect(a.simRuns().count == 1, "idempotent: nothing runs the second time")
        #expect(try a.cbuild(["build"] + sim(["stage4/aws/web", "--no-deps"])).status == 0)
        #expect(a.simRuns().count == 2, "base is taken from the local build")

        let c = try directory(server); defer { c.remove() }
        let cached = try c.cbuild(["build"] + sim(["stage4/aws/web", "--no-deps"]))
        #expect(cached.status == 0, "\(cached)")
        #expect(cached.stderr.contains("already in the cache"), "\(cached)")
        #expect(c.simRuns().isEmpty, "a key the cache holds is done at once")
        let builder = try c.cbuild(["build"] + sim(["stage4/builder", "--no-deps"]))
        #expect(builder.status == 0, "\(builder)")
        #expect(c.simRuns().count == 1, "only builder runs; its input base comes from the cache")
        #expect(FileManager.default.fileExists(atPath: c.path + "/artifacts/out/stage4/base.tar.xz"))

        let two = try c.cbuild(["build"] + sim(["stage4/base", "stage4/builder", "--no-deps"]))
        #expect(two.status == 2, "\(two)")
    }

    @Test func aPlanLeavesOutWhatTheCacheHoldsAndKeysTheRestFromIt() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try directory(server); defer { a.remove() }
        #expect(try a.cbuild(sim(["stage4/base"])).status == 0)

        let b = try directory(server, push: false); defer { b.remove() }
        let r = try b.cbuild(["plan", "--format", "json", "stage4/aws/web", "stage4/vm/test"])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let jobs = try #require(doc["jobs"] as? [[String: Any]])
        #expect(jobs.compactMap { $0["node"] as? String }.sorted() == ["stage4/aws/web", "stage4/vm/test"],
                "stage4/base is in the cache: no job for it")
        let web = try #require(jobs.first { $0["node"] as? String == "stage4/aws/web" })
        #expect(web["dependencies"] as? [String] == [])
        #expect(web["ready"] as? Bool == true)
        #expect((web["key"] as? String)?.hasPrefix("sha256:") == true, "keyed from the cached base's outputs")
        #expect(b.simRuns().isEmpty && !FileManager.default.fileExists(atPath: b.path + "/artifacts/out/stage4/base.tar.xz"),
                "planning downloads nothing")

        // The key the plan gave is the key the build makes.
        let built = try b.cbuild(sim(["stage4/aws/web"]))
        #expect(built.status == 0, "\(built)")
        let status = try b.cbuild(["status", "--json", "stage4/aws/web"])
        #expect(status.stdout.contains(web["key"] as! String), "\(status)")
    }

    func sha256(_ path: String) throws -> String {
        let r = try SystemProcessRunner().run(["sha256sum", path])
        return String(r.stdoutString.prefix(64))
    }
}
