import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// What happens when cbuild is interrupted, killed, or raced by a second cbuild.
@Suite(.serialized) struct CrashSafetyTests {
    let sim = ExampleBuildDirectory.withSim

    /// Starts `cbuild` in the background and returns its process.
    func start(_ ex: ExampleBuildDirectory, _ args: [String], env: [String: String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.path("cbuild"))
        p.arguments = ["-C", ex.path] + args
        var e = ProcessInfo.processInfo.environment
        e["TERM"] = "dumb"
        e["CATALYST_SIM_RUNS_FILE"] = ex.runsFile
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func waitForRun(_ ex: ExampleBuildDirectory, count: Int = 1) throws {
        for _ in 0..<200 where ex.simRuns().count < count { usleep(50_000) }
        #expect(ex.simRuns().count >= count, "the simulator never started")
        usleep(300_000)
    }

    @Test func aSecondMutatingCbuildGetsExitFourNamingTheHolder() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let p = try start(ex, sim(["stage4/vm/test"]), env: ["CATALYST_SIM_SLEEP": "5"])
        try waitForRun(ex)
        let second = try ex.cbuild(sim(["stage4/workstation"]))
        #expect(second.status == 4, "\(second)")
        #expect(second.stderr.contains("pid \(p.processIdentifier)"), "\(second)")
        // Read-only commands still work while the build runs.
        let status = try ex.cbuild(["status"])
        #expect(status.status == 0, "\(status)")
        p.terminate()
        p.waitUntilExit()
    }

    @Test func sigintInterruptsCatalystRecordsItAndExits130() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let p = try start(ex, sim(["stage4/vm/test"]), env: ["CATALYST_SIM_SLEEP": "30"])
        try waitForRun(ex)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let history = try ex.cbuild(["history", "stage4/vm/test"])
        #expect(history.stdout.contains("interrupted"), "\(history)")
        // No simulator left behind.
        let pgrep = try SystemProcessRunner().run(["pgrep", "-f", "catalyst-sim.*\(ex.path)"])
        #expect(pgrep.stdoutString.isEmpty)
    }

    @Test func killMinusNineLeavesAConsistentDatabaseAndTheNodeIsRebuilt() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let p = try start(ex, sim(["stage4/vm/test"]), env: ["CATALYST_SIM_SLEEP": "3"])
        try waitForRun(ex)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let orphan = try SystemProcessRunner().run(["pgrep", "-f", "catalyst-sim.*\(ex.path)"])
        let logs = try SystemProcessRunner().run(["sh", "-c", "grep -E \"Emerging|capture|cbuild\" \(ex.path)/.cache/logs/stage4/vm/test/*.log; cat \(ex.runsFile)"])
        #expect(!orphan.stdoutString.isEmpty, "the simulator keeps running after cbuild is killed: \(logs.stdoutString)")
        // The orphaned simulator still holds the directory lock: no race.
        let during = try ex.cbuild(sim(["stage4/vm/test"]))
        #expect(during.status == 4, "\(during)")
        #expect(during.stderr.contains("killed") || during.stderr.contains("child"), "\(during)")
        // Wait for the orphan to finish, then build again.
        for _ in 0..<100 {
            let r = try SystemProcessRunner().run(["pgrep", "-f", "catalyst-sim.*\(ex.path)"])
            if r.stdoutString.isEmpty { break }
            usleep(100_000)
        }
        let after = try ex.cbuild(sim(["stage4/vm/test"]))
        #expect(after.status == 0, "\(after)")
        #expect(after.stderr.contains("never finished"), "\(after)")
        #expect(ex.simRuns().count == 2, "the killed node is built again")
        let history = try ex.cbuild(["history", "stage4/vm/test"])
        #expect(history.stdout.contains("interrupted"))
        #expect(history.stdout.contains("succeeded"))
    }

    @Test func aCorruptDatabaseIsRebuiltWithOneWarning() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/vm/test"])).status == 0)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ex.path + "/.cache/state.db" + suffix) }
        try "this is not a database".write(toFile: ex.path + "/.cache/state.db", atomically: true, encoding: .utf8)
        let r = try ex.cbuild(sim(["stage4/vm/test"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.components(separatedBy: "warning").count == 2, "\(r)")
        // Rebuilt from the files: the complete output of the same spec is adopted, not rebuilt.
        #expect(ex.simRuns().count == 1, "\(r)")
        #expect(FileManager.default.fileExists(atPath: ex.path + "/artifacts/out/stage4/vm/test.tar.xz"))
        let history = try ex.cbuild(["history", "stage4/vm/test"])
        #expect(history.stdout.contains("reused"), "\(history)")
    }

    @Test func aHalfWrittenOutputIsNeverAdopted() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/vm/test"])).status == 0)
        // Lose the database and cut the tarball short: its .DIGESTS no longer matches.
        try FileManager.default.removeItem(atPath: ex.path + "/.cache/state.db")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ex.path + "/.cache/state.db" + suffix) }
        let link = ex.path + "/artifacts/out/stage4/vm/test.tar.xz"
        let target = URL(fileURLWithPath: link).resolvingSymlinksInPath().path
        let h = try #require(FileHandle(forUpdatingAtPath: target))
        try h.truncate(atOffset: 100); try h.close()
        let r = try ex.cbuild(sim(["stage4/vm/test"]))
        #expect(r.status == 0, "\(r)")
        #expect(ex.simRuns().count == 2, "the damaged output is rebuilt, not adopted")
    }
}
