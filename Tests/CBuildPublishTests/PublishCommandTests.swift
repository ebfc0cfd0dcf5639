import CBuildTestSupport
import Foundation
import Testing

/// `cbuild publish`: only publish nodes, unknown ones named with a
/// suggestion, and a dry run that asks nothing of any cloud.
@Suite struct PublishCommandTests {
    @Test func onlyPublishNodesArePublished() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let other = try ex.cbuild(["publish", "stage4/base"])
        #expect(other.status == 2, "\(other)")
        #expect(other.stderr.contains("'stage4/base' is not a publish node"), "\(other)")
        let none = try ex.cbuild(["publish"])
        #expect(none.status == 2, "\(none)")
        let unknown = try ex.cbuild(["publish", "ami/aws/webb"])
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("ami/aws/web"), "a suggestion: \(unknown)")
        let help = try ex.cbuild(["publish", "--help"])
        #expect(help.status == 0 && help.stdout.contains("ami/NAME"))
    }

    @Test func aDryRunShowsThePublishNodesWithoutAnyRequest() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let port = try LoopbackPort.silentListener(); defer { close(port.fd) }
        try ex.edit("targets/aws/web.toml") {
            $0.replacingOccurrences(of: "region = \"eu-west-1\"", with: "region = \"eu-west-1\"\nendpoint = \"http://127.0.0.1:\(port.port)\"")
        }
        let r = try ex.cbuild(["publish", "-n", "--catalyst", BuiltProducts.path("catalyst-sim"), "ami/aws/web", "azure/azure/web"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("ami/aws/web") && r.stdout.contains("azure/azure/web"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: ex.path + "/artifacts/publish"))
        let graph = try ex.cbuild(["graph", "--format", "json"])
        #expect(graph.stdout.contains("ami/aws/web@canary"), "the canary variant has its own publish node")
    }

    /// A SAS URL file .gitignore does not list: every command warns of it,
    /// and commands that do not publish that node work (they all refused the
    /// directory with exit 2 before); publishing it, and its dry run, refuse
    /// with exit 2 before anything is built, naming the file and the fix;
    /// doctor fails on it. Listed again, all is quiet.
    @Test func aSASFileGitDoesNotIgnoreIsAWarningAndOnlyPublishingItRefuses() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let listed = try ex.dir.read(".gitignore")
        try ex.edit(".gitignore") { $0.replacingOccurrences(of: "secrets/\n", with: "") }
        let at = "targets/azure/web.toml:15:"
        // Messages start with their label, then the file (docs/output.md).
        func lines(_ r: CLIResult, _ label: String) -> [Substring] {
            r.stderr.split(separator: "\n").filter {
                $0.hasPrefix("\(label): \(at)") && $0.contains("key 'publish.azure.sas_url_file': 'secrets/azure-sas-url' holds a credential")
            }
        }
        func warns(_ r: CLIResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            #expect(lines(r, "warning").count == 1, "one warning: \(r)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains("hint: add the line 'secrets/azure-sas-url' to .gitignore"), "\(r)",
                    sourceLocation: sourceLocation)
        }

        let status = try ex.cbuild(["status"])
        #expect(status.status == 0, "\(status)")
        warns(status)
        let explain = try ex.cbuild(["explain", "azure/azure/web"])
        #expect(explain.status == 0, "\(explain)")
        warns(explain)
        let unrelated = try ex.cbuild(ExampleBuildDirectory.withSim(["stage4/base"]))
        #expect(unrelated.status == 0, "\(unrelated)")
        warns(unrelated)
        let runs = ex.simRuns().count
        #expect(runs == 1)
        let otherPublish = try ex.cbuild(["publish", "-n", "ami/aws/web"])
        #expect(otherPublish.status == 0, "\(otherPublish)")

        for args in [["publish", "azure/azure/web"], ["publish", "-n", "azure/azure/web"], ["azure/azure/web"]] {
            let refused = try ex.cbuild(args)
            #expect(refused.status == 2, "\(args): \(refused)")
            #expect(lines(refused, "error").count == 1 && refused.stderr.contains("key 'publish.azure.sas_url_file': 'secrets/azure-sas-url' holds a credential (a SAS URL) but .gitignore does not list it, so it could be committed; azure/azure/web is not published with it"),
                    "\(args): \(refused)")
            #expect(refused.stderr.contains("hint: add the line 'secrets/azure-sas-url' to .gitignore"), "\(args): \(refused)")
            #expect(!refused.stderr.contains("warning:"), "the error alone, not the warning too: \(refused)")
        }
        #expect(ex.simRuns().count == runs, "nothing was built for a refused publish")
        #expect(!FileManager.default.fileExists(atPath: ex.path + "/artifacts/publish"))

        let doctor = try ex.cbuild(["doctor"])
        #expect(doctor.stdout.split(separator: "\n").contains {
            $0.hasPrefix("FAIL") && $0.contains("azure SAS URL file") && $0.contains(at)
                && $0.contains("'secrets/azure-sas-url' holds a credential") && $0.contains("add the line 'secrets/azure-sas-url' to .gitignore")
        }, "\(doctor)")
        #expect(doctor.status == 1, "\(doctor)")

        _ = try ex.dir.write(".gitignore", listed)
        let quiet = try ex.cbuild(["status"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet)")
        let dry = try ex.cbuild(["publish", "-n", "azure/azure/web"])
        #expect(dry.status == 0, "\(dry)")
        let fine = try ex.cbuild(["doctor"])
        #expect(fine.stdout.split(separator: "\n").contains { $0.hasPrefix("ok") && $0.contains("azure SAS URL file") && $0.contains("secrets/azure-sas-url (listed in .gitignore)") },
                "\(fine)")
    }
}
