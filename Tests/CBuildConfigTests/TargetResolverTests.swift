import CBuildBasics
import CBuildTestSupport
import Testing
@testable import CBuildConfig

/// Merge order: requires first (depth-first, post-order), the target's
/// features in list order, each once; fleet features after the target's;
/// the target's own keys after its features; fleet lists last.
@Suite struct TargetResolverTests {
    static let files: [String: String?] = [
        "features/c.toml": "packages = [\"cat/c\"]\nuse = [\"X\"]\nservices = [\"c|default\"]\nportage = \"portage/c\"\n",
        "features/a.toml": "requires = [\"c\"]\npackages = [\"cat/a\", \"cat/c\"]\nfsscript = \"scripts/a.sh\"\n",
        "features/b.toml": "requires = [\"a\", \"c\"]\npackages = [\"cat/b\"]\noverlay = \"overlays/b\"\n",
        "features/d.toml": "requires = [\"c\"]\npackages = [\"cat/d\"]\nuse = [\"-X\", \"ipv6\"]\nfsscript = \"scripts/d.sh\"\n",
        "features/e.toml": "requires = [\"a\"]\npackages = [\"cat/e\"]\nuse = [\"X\"]\n",
        "portage/c/package.use/c": "cat/c x\n",
        "overlays/b/etc/b": "b\n",
        "scripts/a.sh": "#!/bin/sh\n",
        "scripts/d.sh": "#!/bin/sh\n",
        "targets/t.toml": """
            stage = 4
            seed = "stage4/base"
            snapshot = "stable"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            features = ["b", "d"]
            packages = ["cat/t", "cat/a"]
            use = ["-ipv6"]
            services = ["t|default", "c|default"]

            """,
        "fleets/f.toml": """
            members = ["t"]
            [overrides]
            snapshot = "testing"
            features = ["e", "b"]
            packages = ["cat/f", "cat/t"]
            use = ["-X"]
            services = ["f|boot"]

            """,
    ]

    @Test func featuresMergeRequiresFirstThenListOrderEachOnce() throws {
        let dir = try fixture(Self.files)
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let plain = try config.resolve(target: "t", fleet: nil)
        #expect(plain.features == ["c", "a", "b", "d"])
        #expect(plain.packages == ["cat/c", "cat/a", "cat/b", "cat/d", "cat/t"])
        // d turns X off after c turned it on; the target turns ipv6 off: first position, last sign.
        #expect(plain.use == ["-X", "-ipv6"])
        #expect(plain.services == ["c|default", "t|default"])
        #expect(plain.portageDirs == ["portage/c"])
        #expect(plain.overlayDirs == ["overlays/b"])
        #expect(plain.fsscripts == ["scripts/a.sh", "scripts/d.sh"])
        #expect(plain.snapshotRole == "stable")
        #expect(plain.nodeName == "stage4/t")
        #expect(plain.fleet == nil)
    }

    @Test func fleetOverridesComeAfterTheTargetAndReplaceTheSnapshot() throws {
        let dir = try fixture(Self.files)
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let variant = try config.resolve(target: "t", fleet: "f")
        #expect(variant.nodeName == "stage4/t@f")
        #expect(variant.fleet == "f")
        #expect(variant.features == ["c", "a", "b", "d", "e"])
        #expect(variant.packages == ["cat/c", "cat/a", "cat/b", "cat/d", "cat/e", "cat/t", "cat/f"])
        #expect(variant.use == ["-X", "-ipv6"])
        #expect(variant.services == ["c|default", "t|default", "f|boot"])
        #expect(variant.snapshotRole == "testing")
        #expect(config.resolved(node: "stage4/t@f") == variant)
    }

    @Test func contributionsNameEachFileAndWhatItAdded() throws {
        let dir = try fixture(Self.files)
        defer { dir.remove() }
        let variant = try BuildConfiguration.load(BuildDirectory(root: dir.path)).resolve(target: "t", fleet: "f")
        let sources = variant.contributions.map(\.source).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(sources == ["features/c.toml", "features/a.toml", "features/b.toml", "features/d.toml",
                            "features/e.toml", "targets/t.toml", "fleets/f.toml"])
        #expect(variant.contributions.contains(Contribution(source: "features/a.toml", key: "packages", values: ["cat/a", "cat/c"])))
        #expect(variant.contributions.contains(Contribution(source: "targets/t.toml", key: "snapshot", values: ["stable"])))
        #expect(variant.contributions.contains(Contribution(source: "fleets/f.toml", key: "snapshot", values: ["testing"])))
        #expect(variant.contributions.contains(Contribution(source: "fleets/f.toml", key: "features", values: ["e", "b"])))
        #expect(Contribution(source: "features/ssh.toml", key: "packages", values: ["net-misc/mosh"]).description
                == "features/ssh.toml: packages +net-misc/mosh")
    }

    @Test func useMergeKeepsFirstPositionAndLastSign() {
        #expect(TargetResolver.mergeUse(["a", "-b", "c", "-a", "b", "a"]) == ["a", "b", "c"])
        #expect(TargetResolver.mergeUse(["-*", "x", "-x"]) == ["-*", "-x"])
        #expect(TargetResolver.unique(["x", "y", "x", "z", "y"]) == ["x", "y", "z"])
    }
}
