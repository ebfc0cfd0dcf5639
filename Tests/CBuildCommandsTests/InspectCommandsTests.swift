import CBuildTestSupport
import Foundation
import Testing

/// status, graph, history, log and clean on a directory with one built node.
@Suite struct InspectCommandsTests {
    let sim = ExampleBuildDirectory.withSim

    @Test func statusGraphHistoryLogAndClean() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(sim(["stage4/vm/test"])).status == 0)

        let status = try ex.cbuild(["status", "--json"])
        #expect(status.status == 0, "\(status)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let state = Dictionary(uniqueKeysWithValues: rows.map { ($0["node"] as! String, $0["state"] as! String) })
        #expect(state["stage4/vm/test"] == "clean")
        #expect(state["stage4/workstation"] == "never built")
        #expect(state["stage4/vm/test@canary"] == "blocked", "\(state)")
        let canary = try #require(rows.first { $0["node"] as? String == "stage4/vm/test@canary" })
        #expect((canary["blockedBy"] as? String)?.hasPrefix("snapshot/testing") == true, "\(canary)")
        #expect((canary["hint"] as? String)?.contains("cbuild snapshot fetch --role testing") == true, "\(canary)")

        let table = try ex.cbuild(["status", "stage4/vm/test", "stage4/base"])
        #expect(table.stdout.split(separator: "\n").first?.hasPrefix("NODE") == true)

        let dot = try ex.cbuild(["graph", "--format", "dot", "stage4/aws/web"])
        #expect(dot.stdout.contains("\"stage4/base\" -> \"stage4/aws/web\";"), "\(dot)")
        #expect(dot.stdout.contains("\"stage4/aws/web\" [label=\"stage4/aws/web\\nnever built\", style=\"filled,bold\", color=red"),
                "each node's state is inside its box: \(dot)")
        #expect(dot.stdout.contains("\"stage4/base\" [label=\"stage4/base\\nnever built\""), "\(dot)")
        let fleets = try ex.cbuild(["graph", "--format", "json", "fleet/prod"])
        let fleetNodes = try #require(try JSONSerialization.jsonObject(with: Data(fleets.stdout.utf8)) as? [[String: Any]])
        let prod = try #require(fleetNodes.first { $0["id"] as? String == "fleet/prod" })
        #expect(prod["state"] as? String == "never built" || prod["state"] as? String == "stale", "a fleet is marked like any node: \(prod)")
        let vmNode = try #require(fleetNodes.first { $0["id"] as? String == "stage4/vm/test" })
        #expect(vmNode["state"] as? String == "clean", "\(vmNode)")
        let mermaid = try ex.cbuild(["graph", "--format", "mermaid", "stage4/vm/test"])
        #expect(mermaid.stdout.hasPrefix("graph LR"))
        let json = try ex.cbuild(["graph", "--format", "json", "stage4/vm/test"])
        let nodes = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let vm = try #require(nodes.first { $0["id"] as? String == "stage4/vm/test" })
        #expect(vm["stale"] as? Bool == false)
        #expect((vm["dependencies"] as? [String])?.contains("spec/vm/test") == true)
        #expect(try ex.cbuild(["graph", "--format", "png"]).status == 2)

        let history = try ex.cbuild(["history", "stage4/vm/test"])
        #expect(history.stdout.contains("succeeded"))
        let log = try ex.cbuild(["log", "stage4/vm/test"])
        #expect(log.stdout.contains("SIMULATOR"), "\(log)")
        #expect(log.stdout.contains(">>> Emerging (1 of"))

        let dry = try ex.cbuild(["clean", "--dry-run", "stage4/vm/test"])
        #expect(dry.stdout.contains("would remove artifacts/builds/vm/stage4-amd64-vm-test-"), "\(dry)")
        #expect(FileManager.default.fileExists(atPath: ex.path + "/artifacts/out/stage4/vm/test.tar.xz"))
        let clean = try ex.cbuild(["clean", "stage4/vm/test"])
        #expect(clean.status == 0, "\(clean)")
        #expect(!FileManager.default.fileExists(atPath: ex.path + "/artifacts/out/stage4/vm/test.tar.xz"))
        #expect(FileManager.default.fileExists(atPath: ex.path + "/artifacts/snapshots/gentoo-20261124.xz.sqfs"),
                "downloads stay unless --downloads")
        let after = try ex.cbuild(["explain", "stage4/vm/test"])
        #expect(after.stdout.contains("never built"), "\(after)")
        #expect(try ex.cbuild(["clean"]).status == 2, "clean needs nodes or --all")
    }

    @Test func dryRunRunsNothingAndExplainJSONNamesTheCause() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let dry = try ex.cbuild(sim(["-n", "stage4/aws/web"]))
        #expect(dry.status == 0, "\(dry)")
        #expect(ex.simRuns().isEmpty)
        #expect(dry.stdout.contains("stage4/base: build"))
        let json = try ex.cbuild(["explain", "--json", "stage4/aws/web"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let web = try #require(entries.first { $0["node"] as? String == "stage4/aws/web" })
        let reasons = try #require(web["reasons"] as? [[String: Any]])
        #expect(reasons.contains { ($0["text"] as? String)?.contains("stage4/base will be rebuilt first") == true }, "\(reasons)")
    }

    @Test func parallelJobsBuildIndependentTargetsAndKeepGoingPastAFailure() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(sim(["-j", "2", "-k", "stage4/vm/test", "stage4/workstation", "stage4/base"]),
                              environment: ["CATALYST_SIM_FAIL": "*workstation*"])
        #expect(r.status == 1, "\(r)")
        #expect(ex.simRuns().count == 3, "keep-going runs the other two")
        #expect(r.stdout.contains("2 built"), "\(r)")
    }
}

@Suite struct LogFollowTests {
    /// Starts `cbuild stage4/vm/test` with a simulated catalyst taking
    /// `simSeconds`, and returns once catalyst has started.
    static func buildInBackground(_ ex: ExampleBuildDirectory, simSeconds: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.path("cbuild"))
        p.arguments = ["-C", ex.path] + ExampleBuildDirectory.withSim(["stage4/vm/test"])
        var env = ProcessInfo.processInfo.environment
        env["CATALYST_SIM_SLEEP"] = String(simSeconds); env["CATALYST_SIM_RUNS_FILE"] = ex.runsFile; env["TERM"] = "dumb"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<100 where ex.simRuns().isEmpty { usleep(50_000) }
        return p
    }

    @Test func followPrintsTheRunToItsEnd() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let p = try Self.buildInBackground(ex, simSeconds: 2)
        let follow = try ex.cbuild(["log", "--follow", "stage4/vm/test"])
        p.waitUntilExit()
        #expect(follow.status == 0, "\(follow)")
        #expect(follow.stdout.contains(">>> Emerging (8 of 8)"), "\(follow)")
        #expect(follow.stdout.contains("capture"), "followed to the end of the run")
    }

    @Test func aNodeBeingBuiltIsShownAsBuilding() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let p = try Self.buildInBackground(ex, simSeconds: 3)
        let status = try ex.cbuild(["status", "--json", "stage4/vm/test"])
        p.waitUntilExit()
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]], "\(status)")
        #expect(rows.first?["state"] as? String == "building", "\(status)")
    }

    @Test func statusTellsFailedBuildingReusedFleetsAndBlockedCausesOnce() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/base", "stage4/vm/test"])).status == 0)
        // A failed attempt after a good build: status shows the attempt, not the good build.
        try ex.edit("targets/vm/test.toml") { $0.replacingOccurrences(of: "packages = [", with: "packages = [\"app-misc/screen\", ") }
        #expect(try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test"]), environment: ["CATALYST_SIM_FAIL": "*"]).status == 1)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(try ex.cbuild(["status", "--json"]).stdout.utf8)) as? [[String: Any]])
        let vm = try #require(rows.first { $0["node"] as? String == "stage4/vm/test" })
        #expect(vm["state"] as? String == "failed", "\(vm)")
        let attempt = try ex.cbuild(["history", "--json", "stage4/vm/test"])
        let attempts = try #require(try JSONSerialization.jsonObject(with: Data(attempt.stdout.utf8)) as? [[String: Any]])
        #expect(attempts.first?["state"] as? String == "failed")
        #expect((vm["duration"] as? Double) == (attempts.first?["duration"] as? Double), "the failed attempt's duration: \(vm) \(attempts.first ?? [:])")

        // The blocking cause is told once under the table, with its fix.
        let table = try ex.cbuild(["status"])
        #expect(table.stdout.components(separatedBy: "points nowhere").count == 2, "\(table)")
        #expect(table.stdout.contains("blocked [1]") && table.stdout.contains("[1] snapshot/testing"), "\(table)")

        // A fleet is clean only when every member is.
        let fleet = try ex.cbuild(["status", "--json", "fleet/prod"])
        let fleetRows = try #require(try JSONSerialization.jsonObject(with: Data(fleet.stdout.utf8)) as? [[String: Any]])
        let prod = try #require(fleetRows.first { $0["node"] as? String == "fleet/prod" })
        #expect((prod["state"] as? String)?.hasPrefix("failed (") == true, "\(prod)")

        // --stale lists only what would run; --check exits 1 when something would.
        let staleOnly = try ex.cbuild(["status", "--stale", "--json", "stage4/base", "stage4/vm/test"])
        let names = (try JSONSerialization.jsonObject(with: Data(staleOnly.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["node"] as? String }
        #expect(names == ["stage4/vm/test"], "\(staleOnly)")
        #expect(try ex.cbuild(["status", "--check", "stage4/base"]).status == 0)
        #expect(try ex.cbuild(["status", "--check", "stage4/vm/test"]).status == 1)

        // A reused build shows how long building its output took, not 0 s.
        try ex.edit("targets/vm/test.toml") { $0.replacingOccurrences(of: "packages = [\"app-misc/screen\", ", with: "packages = [") }
        #expect(try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/vm/test"])).status == 0)
        let reused = try #require(try JSONSerialization.jsonObject(with: Data(try ex.cbuild(["status", "--json", "stage4/vm/test"]).stdout.utf8)) as? [[String: Any]])
        #expect(reused.first?["state"] as? String == "clean")
        #expect((reused.first?["duration"] as? Double ?? 0) > 0, "\(reused)")
    }
}
