import CBuildBasics
import CBuildTestSupport
import Testing
@testable import CBuildConfig

@Suite struct FleetConfigTests {
    @Test func membersOfAFleetWithOverridesAreVariantNodes() throws {
        let dir = try fixture()
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(config.variants == [
            TargetVariant(target: "base", fleet: nil, nodeName: "stage4/base"),
            TargetVariant(target: "web", fleet: nil, nodeName: "stage4/web"),
            TargetVariant(target: "base", fleet: "canary", nodeName: "stage4/base@canary"),
            TargetVariant(target: "web", fleet: "canary", nodeName: "stage4/web@canary"),
        ])
        #expect(config.resolvedTargets.map(\.nodeName) == config.variants.map(\.nodeName))
        #expect(try config.memberNodes(ofFleet: "canary") == ["stage4/base@canary", "stage4/web@canary"])
    }

    @Test func aVariantSeededFromAnotherMemberUsesThatMembersVariant() throws {
        let dir = try fixture()
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(try config.resolve(target: "web", fleet: nil).seed == .target("stage4/base"))
        #expect(try config.resolve(target: "web", fleet: "canary").seed == .target("stage4/base@canary"))
        #expect(try config.resolve(target: "base", fleet: "canary").seed == .seed("amd64-openrc"))
        #expect(SeedReference.seed("amd64-openrc").nodeName == "seed/amd64-openrc")
    }

    @Test func aSeedOutsideTheFleetStaysThePlainNode() throws {
        let dir = try fixture(["fleets/canary.toml": "members = [\"web\"]\n[overrides]\nsnapshot = \"testing\"\n"])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let web = try config.resolve(target: "web", fleet: "canary")
        #expect(web.seed == .target("stage4/base"))
        #expect(web.snapshotRole == "testing")
        #expect(config.resolved(node: "stage4/base@canary") == nil)
    }

    @Test func aFleetWithoutOverridesAddsNoNodes() throws {
        let dir = try fixture(["fleets/canary.toml": nil,
                               "fleets/prod.toml": "description = \"all of them\"\nmembers = [\"web\", \"base\"]\n[overrides]\n"])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(config.fleets["prod"]?.hasOverrides == false)
        #expect(config.variants.map(\.nodeName) == ["stage4/base", "stage4/web"])
        #expect(try config.memberNodes(ofFleet: "prod") == ["stage4/web", "stage4/base"])
        let web = try config.resolve(target: "web", fleet: "prod")
        #expect(web.nodeName == "stage4/web")
        #expect(web.fleet == nil)
        #expect(web == (try config.resolve(target: "web", fleet: nil)))
    }

    @Test func namesGivenToTheAPIAreChecked() throws {
        let dir = try fixture(["targets/lone.toml": "stage = 4\nseed = \"seed/amd64-openrc\"\nprofile = \"p/q\"\nsubarch = \"amd64\"\n"])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(throws: ConfigError.unknownName(kind: "target", name: "wbe", candidates: ["base", "lone", "web"])) {
            try config.resolve(target: "wbe", fleet: nil)
        }
        #expect(ConfigError.unknownName(kind: "target", name: "wbe", candidates: ["base", "lone", "web"]).hint
                == "did you mean 'web'?")
        #expect(throws: ConfigError.self) { try config.resolve(target: "web", fleet: "canry") }
        #expect(throws: ConfigError.notAFleetMember(target: "lone", fleet: "canary", members: ["base", "web"])) {
            try config.resolve(target: "lone", fleet: "canary")
        }
        #expect(throws: ConfigError.self) { try config.memberNodes(ofFleet: "prod") }
    }

    @Test func knownNodeNames() throws {
        let dir = try fixture()
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        for node in ["all", "init", "fleet/canary", "seed/amd64-openrc", "stage4/web", "stage4/web@canary",
                     "snapshot/testing", "spec/web"] {
            #expect(config.isKnownNodeName(node), "\(node)")
        }
        for node in ["fleet/prod", "seed/x", "stage3/web", "stage4/web@prod", "snapshot/a/b", "targets/web", "web"] {
            #expect(!config.isKnownNodeName(node), "\(node)")
        }
    }
}
