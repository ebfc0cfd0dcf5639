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
}
