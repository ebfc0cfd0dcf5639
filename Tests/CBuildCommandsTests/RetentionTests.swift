import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// Old builds do not pile up: `prune --builds` removes what no current or
/// kept build needs and says how much it freed; a rollback to a kept build
/// still runs no catalyst. `roles` shows every role move.
@Suite struct RetentionTests {
    let sim = ExampleBuildDirectory.withSim

    func setPackages(_ ex: ExampleBuildDirectory, _ extra: String) throws {
        try ex.edit("targets/base.toml") { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("packages = ") ? "packages = [\(extra)\"app-portage/gentoolkit\", \"app-admin/sudo\"]" : String(line)
            }.joined(separator: "\n")
        }
    }

    @Test func pruneKeepsWhatARollbackNeedsAndSaysWhatItFreed() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        for extra in ["\"app-misc/a\", ", "\"app-misc/b\", ", "\"app-misc/c\", "] {
            try setPackages(ex, extra)
            #expect(try ex.cbuild(sim(["stage4/base"])).status == 0)
        }
        #expect(ex.simRuns().count == 3)
        let tarballs = { (try? FileManager.default.contentsOfDirectory(atPath: ex.path + "/artifacts/builds/default"))?.filter { $0.hasSuffix(".tar.xz") }.sorted() ?? [] }
        #expect(tarballs().count == 3)
        let dry = try ex.cbuild(["prune", "--builds", "--keep", "1", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("would free"), "\(dry)")
        #expect(tarballs().count == 3, "a dry run removes nothing")
        let pruned = try ex.cbuild(["prune", "--builds", "--keep", "1"])
        #expect(pruned.status == 0 && pruned.stdout.contains("freed") && pruned.stdout.contains("stage4/base"), "\(pruned)")
        #expect(tarballs().count == 2, "the current build and one earlier stay: \(tarballs())")
        // Back to b (kept): reused, no catalyst run. Back to a (pruned): built again.
        try setPackages(ex, "\"app-misc/b\", ")
        #expect(try ex.cbuild(sim(["stage4/base"])).status == 0)
        #expect(ex.simRuns().count == 3, "rollback to a kept build runs no catalyst")
        try setPackages(ex, "\"app-misc/a\", ")
        #expect(try ex.cbuild(sim(["stage4/base"])).status == 0)
        #expect(ex.simRuns().count == 4, "a pruned build is built again")
        #expect(try ex.cbuild(["prune"]).status == 2, "what to prune is said explicitly")
        let clean = try ex.cbuild(["clean", "--dry-run", "stage4/base"])
        #expect(clean.stdout.contains(" MiB)") || clean.stdout.contains(" KiB)") || clean.stdout.contains(" B)"), "sizes: \(clean)")
    }

    @Test func rolesShowsEveryMove() throws {
        let site = try MirroredSite(); defer { site.remove() }
        #expect(try site.cbuild(["snapshot", "fetch", "--date", "20261122"]).status == 0)
        #expect(try site.cbuild(["snapshot", "fetch", "--date", "20261123", "--role", "testing"]).status == 0)
        #expect(try site.cbuild(["snapshot", "promote", "stable", "20261123"]).status == 0)
        #expect(try site.cbuild(["snapshot", "rollback", "stable"]).status == 0)
        let r = try site.cbuild(["roles"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("WHEN") == true && lines.count == 5, "\(r)")
        #expect(lines[1].contains("snapshot stable") && lines[1].contains("20261123 → 20261122") && lines[1].contains("rollback"), "newest first: \(r)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try site.cbuild(["roles", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(json.count == 4 && json.first?["reason"] as? String == "rollback", "\(json)")
        #expect((json.first?["by"] as? String)?.contains("@") == false, "a user name, not user@host")
    }
}
