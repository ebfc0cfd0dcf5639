import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildConfig

@Suite struct ProjectConfigTests {
    @Test func absentKeysTakeTheirDefaults() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-project")
        defer { dir.remove() }
        try dir.write("cbuild.toml", "# nothing set\n")
        try dir.write("keys/zeta.asc", "k")
        try dir.write("keys/alpha.asc", "k")
        try dir.write("keys/notes.txt", "not a key")
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let project = config.project
        #expect(project.name == (dir.path as NSString).lastPathComponent)
        #expect(project.defaultNodes == ["all"])
        #expect(project.catalyst == CatalystConfig())
        #expect(project.catalyst.flavor == 4)
        #expect(project.catalyst.command == ["catalyst"])
        #expect(project.catalyst.jobs == 1)
        #expect(project.catalyst.compression == "lbzip2")
        #expect(project.snapshots.mirrors == ["https://distfiles.gentoo.org"])
        #expect(project.snapshots.maxAgeDays == 3)
        #expect(project.snapshots.allowHTTP == false)
        #expect(project.snapshots.keyring == ["keys/alpha.asc", "keys/zeta.asc"])
        #expect(project.snapshots.keyringIsDefault)
        #expect(project.seeds.isEmpty)
        #expect(project.nightly == NightlyConfig(targets: ["all"], optional: []))
        #expect(config.targets.isEmpty && config.features.isEmpty && config.fleets.isEmpty)
    }

    @Test func seedsKeepFileOrderAndInheritMirrorsAndKeyring() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-project")
        defer { dir.remove() }
        try dir.write("keys/release.asc", "k")
        try dir.write("keys/other.asc", "k")
        try dir.write("cbuild.toml", """
            [project]
            name = "p"
            default = ["seed/zz-musl"]

            [catalyst]
            flavor = 3
            command = ["sudo", "catalyst"]
            jobs = 2
            conf_template = "keys/other.asc"

            [snapshots]
            mirrors = ["http://mirror.lan/gentoo", "file:///srv/mirror"]
            keyring = ["keys/release.asc"]
            max_age_days = 7
            allow_http = true

            [seeds.zz-musl]
            arch = "amd64"
            variant = "musl"

            [seeds.aa-openrc]
            arch = "amd64"
            variant = "openrc"
            mirrors = ["https://distfiles.gentoo.org"]
            keyring = ["keys/other.asc"]

            [seeds.mm-arm]
            arch = "arm64"
            variant = "openrc"

            [nightly]
            optional = ["seed/mm-arm"]
            """)
        let project = try BuildConfiguration.load(BuildDirectory(root: dir.path)).project
        #expect(project.seeds.map(\.name) == ["zz-musl", "aa-openrc", "mm-arm"])
        #expect(project.seeds[0] == SeedConfig(name: "zz-musl", arch: "amd64", variant: "musl",
                                               mirrors: ["http://mirror.lan/gentoo", "file:///srv/mirror"],
                                               keyring: ["keys/release.asc"]))
        #expect(project.seeds[1].mirrors == ["https://distfiles.gentoo.org"])
        #expect(project.seeds[1].keyring == ["keys/other.asc"])
        #expect(project.seed(named: "mm-arm")?.nodeName == "seed/mm-arm")
        #expect(project.catalyst.flavor == 3)
        #expect(project.catalyst.command == ["sudo", "catalyst"])
        #expect(project.catalyst.jobs == 2)
        #expect(project.catalyst.confTemplate == "keys/other.asc")
        #expect(project.snapshots.keyringIsDefault == false)
        #expect(project.snapshots.maxAgeDays == 7)
        #expect(project.nightly == NightlyConfig(targets: ["seed/zz-musl"], optional: ["seed/mm-arm"]))
    }
}
