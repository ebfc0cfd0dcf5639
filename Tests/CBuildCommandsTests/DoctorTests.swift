import CBuildTestSupport
import Foundation
import Testing

@Suite struct DoctorTests {
    @Test func reportsTheSimulatorAndPassesWhenEverythingANeedsIsThere() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        try "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"
            .write(toFile: ex.path + "/keys/empty.asc", atomically: true, encoding: .utf8)
        let r = try ex.cbuild(["doctor", "--catalyst", BuiltProducts.path("catalyst-sim")])
        #expect(r.stdout.contains("catalyst"), "\(r)")
        #expect(r.stdout.contains("the simulator, not a real build"), "\(r)")
        #expect(r.stdout.contains("snapshot stable"))
        // The empty key file holds no key: a build could not verify anything.
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("FAIL  keyring"), "\(r)")
    }

    @Test func missingCatalystFails() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(["doctor", "--json", "--catalyst", "no-such-catalyst"])
        #expect(r.status == 1)
        let checks = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        let catalyst = checks.first { $0["name"] as? String == "catalyst" }
        #expect(catalyst?["level"] as? String == "fail")
        #expect((catalyst?["detail"] as? String)?.contains("no-such-catalyst not found") == true)
    }

    @Test func checksTheToolsTheTargetsImagesNeedAndSaysWhatToInstall() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        // Without /usr/sbin in PATH, mkfs.ext4 and sfdisk are not found.
        let r = try ex.cbuild(["doctor", "--json"], environment: ["PATH": BuiltProducts.directory + ":/usr/bin:/bin"])
        let checks = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "\(r)")
        func check(_ name: String) -> [String: Any]? { checks.first { $0["name"] as? String == name } }
        #expect(check("mkfs.ext4")?["level"] as? String == "fail", "\(checks)")
        #expect((check("mkfs.ext4")?["detail"] as? String)?.contains("install e2fsprogs") == true)
        #expect(check("qemu-img")?["level"] as? String == "ok", "qcow2 images need qemu-img")
        #expect(check("OVMF firmware") != nil, "qcow2 images are boot-tested")
        #expect(r.status == 1)
        // A directory whose targets have no images needs none of it.
        for t in ["workstation", "vm/test", "aws/web", "azure/web", "builder"] {
            try ex.edit("targets/\(t).toml") { $0.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("images = ") }.joined(separator: "\n") }
        }
        let plain = try ex.cbuild(["doctor", "--json"])
        let names = (try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!names.contains("mkfs.ext4") && !names.contains("OVMF firmware"), "\(names)")
    }
}
