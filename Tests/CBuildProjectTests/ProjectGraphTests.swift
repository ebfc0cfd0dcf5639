import CBuildConfig
import CBuildGraph
@testable import CBuildProject
import CBuildTestSupport
import Testing

@Suite struct ProjectGraphTests {
    @Test func theExampleDirectoryBecomesTheDocumentedNodes() throws {
        let config = try BuildConfiguration.load(BuildDirectory(root: BuiltProducts.packageRoot))
        let g = try ProjectGraph.build(config)
        let names = Set(g.allIDs.map(\.name))
        for n in ["init", "snapshot/stable", "snapshot/testing", "seed/amd64-openrc", "spec/workstation",
                  "stage4/workstation", "confdir/workstation", "overlay/workstation", "fsscript/workstation",
                  "stage4/vm/test", "stage4/aws/web", "stage4/aws/web@canary", "fleet/prod", "fleet/canary", "all"] {
            #expect(names.contains(n), "missing \(n)")
        }
        // A child seeded from base depends on base's stage node; in the canary fleet, on base's variant.
        #expect(g[NodeID("stage4/aws/web")]!.dependencies.contains("stage4/base"))
        #expect(g[NodeID("stage4/aws/web@canary")]!.dependencies.contains("stage4/base@canary"))
        #expect(g[NodeID("spec/aws/web@canary")]!.dependencies.contains("snapshot/testing"))
        #expect(g[NodeID("fleet/prod")]!.dependencies.contains("stage4/workstation"))
    }
}
