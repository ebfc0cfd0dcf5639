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
}
