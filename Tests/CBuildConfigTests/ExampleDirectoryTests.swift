import CBuildBasics
import CBuildTestSupport
import Testing
@testable import CBuildConfig

/// The example build directory at the package root is what the demo and
/// the docs use: it must load cleanly and describe the SPEC's machines.
@Suite struct ExampleDirectoryTests {
    let config: BuildConfiguration

    init() throws {
        config = try BuildConfiguration.load(BuildDirectory(root: BuiltProducts.packageRoot))
    }

    @Test func describesTheMachines() {
        #expect(config.targets.keys.sorted() == ["aws/web", "azure/web", "base", "builder", "vm/test", "workstation"])
        #expect(config.features.keys.sorted() == ["base", "cloud-init", "debug-tools", "desktop", "ssh"])
        #expect(config.fleets.keys.sorted() == ["canary", "prod"])
        #expect(config.project.name == "acme-fleet")
        #expect(config.project.defaultNodes == ["fleet/prod"])
        #expect(config.project.catalyst.flavor == 4)
        #expect(config.project.catalyst.compression == "pixz")
        #expect(config.project.seeds.map(\.name) == ["amd64-openrc"])
        #expect(config.project.nightly == NightlyConfig(targets: ["fleet/prod"], optional: ["stage4/azure/web"]))
        #expect(config.project.snapshots.keyringIsDefault)
        #expect(config.project.snapshots.keyring.allSatisfy { $0.hasPrefix("keys/") && $0.hasSuffix(".asc") })
    }

    @Test func prodIsPlainAndCanaryIsVariants() throws {
        #expect(config.fleets["prod"]?.hasOverrides == false)
        #expect(try config.memberNodes(ofFleet: "prod").contains("stage4/vm/test"))
        let canary = try config.memberNodes(ofFleet: "canary")
        #expect(canary.count == 6 && canary.allSatisfy { $0.hasSuffix("@canary") })
        #expect(config.variants.count == 12)
        let web = try config.resolve(target: "aws/web", fleet: "canary")
        #expect(web.seed == .target("stage4/base@canary"))
        #expect(web.snapshotRole == "testing")
        // canary changes only the snapshot role: same features and packages as prod.
        let prodWeb = try config.resolve(target: "aws/web", fleet: nil)
        #expect(web.features == prodWeb.features)
        #expect(web.packages == prodWeb.packages)
        #expect(web.packages.contains("www-servers/nginx"))
        #expect(web.services.contains("sshd|default") && web.services.contains("nginx|default"))
    }

    @Test func everyTargetResolvesWithItsInputs() throws {
        for target in config.resolvedTargets {
            #expect(target.subarch == "amd64")
            #expect(target.specTemplate?.hasPrefix("specs/") == true, "\(target.nodeName)")
            #expect(!target.portageDirs.isEmpty && !target.overlayDirs.isEmpty && !target.fsscripts.isEmpty,
                    "\(target.nodeName)")
        }
        let workstation = try config.resolve(target: "workstation", fleet: nil)
        #expect(workstation.kernel?.config == "kernel/workstation.config")
        #expect(workstation.seed == .seed("amd64-openrc"))
        #expect(try config.resolve(target: "vm/test", fleet: nil).vars == ["REL_TYPE": "vm"])
        #expect(try config.resolve(target: "builder", fleet: nil).packages.contains("dev-util/catalyst"))
    }
}
