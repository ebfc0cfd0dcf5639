import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildSecurity

/// GLSA documents read into advisories; broken ones reported, never a crash.
@Suite struct AdvisoryParserTests {
    func parse(_ xml: String, file: String = "metadata/glsa/glsa-202611-01.xml") throws -> Advisory {
        try AdvisoryParser.parse(Data(xml.utf8), file: file)
    }

    @Test func readsWhatTheAuditReports() throws {
        let xml = GLSAFixture.xml(id: "202611-01", title: "OpenSSL: Multiple vulnerabilities", severity: "high", packages: [
            .init("dev-libs/openssl", arch: "amd64 x86", vulnerable: [.init("lt", "3.0.13")], unaffected: [.init("ge", "3.0.13"), .init("rge", "1.1.1w-r1", slot: "0")]),
        ])
        let a = try parse(xml)
        #expect(a.id == "202611-01" && a.title == "OpenSSL: Multiple vulnerabilities" && a.severity == .high)
        #expect(a.resolution == "Upgrade to the latest version." && a.bugs == ["900001"])
        let p = try #require(a.packages.first)
        #expect(p.package.cp == "dev-libs/openssl" && p.applies(toArch: "x86") && !p.applies(toArch: "arm64"))
        #expect(p.vulnerable.map(\.description) == ["<3.0.13"])
        #expect(p.unaffected.map(\.description) == [">=3.0.13", ">=~1.1.1w-r1:0"])
    }

    @Test func malformedXMLNamesTheFileAndLine() {
        let broken = "<?xml version=\"1.0\"?>\n<glsa id=\"202611-01\">\n<title>x</titel>\n</glsa>\n"
        #expect { try parse(broken) } throws: { error in
            let p = error as? AdvisoryProblem
            return p?.file == "metadata/glsa/glsa-202611-01.xml" && p?.line == 3 && p!.message.contains("malformed XML")
        }
    }

    @Test func structureErrorsAreProblemsNotCrashes() {
        let good = GLSAFixture.xml(id: "202611-01", packages: [.init("app-misc/hello", vulnerable: [.init("lt", "1.1")], unaffected: [])])
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "range=\"lt\"", with: "range=\"below\""), "invalid range"),
            (good.replacingOccurrences(of: ">1.1<", with: ">1.1.x<"), "not a version"),
            (good.replacingOccurrences(of: "app-misc/hello", with: "hello"), "invalid package name"),
            (good.replacingOccurrences(of: "impact type=\"normal\"", with: "impact type=\"severe\""), "not low, normal or high"),
            (good.replacingOccurrences(of: "arch=\"*\"", with: "arch=\"amd64,x86\""), "arch list"),
            (good.replacingOccurrences(of: "<title>Test advisory</title>", with: ""), "no <title>"),
            (good.replacingOccurrences(of: "glsa id=\"202611-01\"", with: "glsa id=\"202611-02\""), "file name says 202611-01"),
        ]
        for (xml, expected) in cases {
            #expect { try parse(xml) } throws: { error in
                (error as? AdvisoryProblem)?.message.contains(expected) == true
            }
        }
    }
}

/// Matching installed packages against advisories, by hand and against portage.glsa.
@Suite struct AdvisoryMatcherTests {
    func installed(_ cpv: String, slot: String = "0") -> InstalledPackage {
        let n = PackageVersionedName(cpv)!
        return InstalledPackage(package: n.package, version: n.version, slot: slot, repository: "gentoo", use: [])
    }

    func advisory(_ packages: [GLSAFixture.Package]) throws -> Advisory {
        try AdvisoryParser.parse(Data(GLSAFixture.xml(id: "202611-01", packages: packages).utf8), file: "glsa-202611-01.xml")
    }

    @Test func affectedMeansVulnerableAndNotUnaffected() throws {
        let a = try advisory([.init("dev-libs/openssl", vulnerable: [.init("lt", "3.0.13")],
                                    unaffected: [.init("ge", "3.0.13"), .init("rge", "1.1.1w-r1")])])
        let set = [installed("dev-libs/openssl-3.0.12"), installed("dev-libs/openssl-1.1.1w-r2"),
                   installed("dev-libs/openssl-1.1.1w"), installed("dev-libs/openssl-3.0.13"), installed("dev-libs/other-1.0")]
        let hit = AdvisoryMatcher.matches(a, installed: set, arch: "amd64").map(\.installed.cpv)
        #expect(hit == ["dev-libs/openssl-3.0.12", "dev-libs/openssl-1.1.1w"])
    }

    @Test func archAndSlotRestrictAnEntry() throws {
        let a = try advisory([.init("sys-libs/glibc", arch: "x86 arm", vulnerable: [.init("lt", "2.40", slot: "2.2")], unaffected: [])])
        #expect(AdvisoryMatcher.matches(a, installed: [installed("sys-libs/glibc-2.39", slot: "2.2")], arch: "amd64").isEmpty)
        #expect(AdvisoryMatcher.matches(a, installed: [installed("sys-libs/glibc-2.39", slot: "2.2")], arch: "x86").count == 1)
        #expect(AdvisoryMatcher.matches(a, installed: [installed("sys-libs/glibc-2.39", slot: "3")], arch: "x86").isEmpty)
    }

    @Test func theLowestOfferedFixAboveTheInstalledVersionIsChosen() throws {
        let a = try advisory([.init("app-misc/hello", vulnerable: [.init("lt", "1.2")], unaffected: [.init("ge", "1.2")])])
        let offered = ["1.0", "1.1", "1.2", "1.3"].map { PackageVersion($0)! }
        #expect(AdvisoryMatcher.minimalUpgrade(for: installed("app-misc/hello-1.0"), entry: a.packages[0], offered: offered)?.text == "1.2")
        #expect(AdvisoryMatcher.minimalUpgrade(for: installed("app-misc/hello-1.0"), entry: a.packages[0], offered: offered.prefix(2).map { $0 }) == nil)
    }

    /// Generated advisories and installed sets, one portage process for all of them.
    @Test func agreesWithPortageGlsaOnGeneratedAdvisories() throws {
        var g = SeededGenerator(seed: 13)
        let versions = ["1.0", "1.0-r1", "1.0-r2", "1.00", "1.1", "1.1_rc1", "1.1_p1", "1.2.3", "1.2.3-r5", "2", "0.9_beta2", "1.0a"]
        let ops = ["lt", "le", "eq", "ge", "gt", "rlt", "rle", "rge", "rgt"]
        let slots = [nil, "*", "0", "1", "0/1.2"]
        let names = ["app-misc/hello", "dev-libs/foo"]
        var cases: [PortageOracle.GLSACase] = []
        var ours: [(system: Bool, each: [Bool])] = []
        for i in 0..<400 {
            func range() -> GLSAFixture.Range {
                let op = ops.randomElement(using: &g)!
                // portage's revisionMatch cannot carry a slot (it fails on `rge …:1`), so revision ranges get none.
                let slot = op.hasPrefix("r") ? nil : slots.randomElement(using: &g)!
                return .init(op, versions.randomElement(using: &g)!, slot: slot)
            }
            var packages: [GLSAFixture.Package] = []
            for _ in 0..<Int.random(in: 1...2, using: &g) {
                let arch = ["*", "amd64", "x86 arm", "amd64 x86"].randomElement(using: &g)!
                packages.append(.init(names.randomElement(using: &g)!, arch: arch,
                                      vulnerable: (0..<Int.random(in: 1...2, using: &g)).map { _ in range() },
                                      unaffected: (0..<Int.random(in: 0...2, using: &g)).map { _ in range() }))
            }
            let id = String(format: "2026%02d-%02d", i % 12 + 1, i % 97)
            let xml = GLSAFixture.xml(id: id, packages: packages)
            var set: [PortageOracle.Installed] = []
            for _ in 0..<Int.random(in: 1...3, using: &g) {
                set.append(.init(cpv: names.randomElement(using: &g)! + "-" + versions.randomElement(using: &g)!,
                                 slot: ["0", "1", "0/1.2", "0/2"].randomElement(using: &g)!))
            }
            let arch = ["amd64", "x86"].randomElement(using: &g)!
            cases.append(.init(id: id, xml: xml, arch: arch, installed: set))
            let a = try AdvisoryParser.parse(Data(xml.utf8), file: "glsa-\(id).xml")
            let pkgs = set.map { installed($0.cpv, slot: $0.slot) }
            ours.append((!AdvisoryMatcher.matches(a, installed: pkgs, arch: arch).isEmpty,
                         pkgs.map { !AdvisoryMatcher.matches(a, installed: [$0], arch: arch).isEmpty }))
        }
        let answer = try PortageOracle.ask(.init(glsa: cases))
        #expect(answer.glsa.count == cases.count)
        var differ: [String] = []
        for (i, (want, got)) in zip(answer.glsa, ours).enumerated() {
            if let error = want.error { differ.append("case \(i): portage raised \(error)"); continue }
            if want.system != got.system || want.each != got.each {
                differ.append("case \(i) (arch \(cases[i].arch), installed \(cases[i].installed.map { "\($0.cpv):\($0.slot)" })): portage \(want.system!) \(want.each!), cbuild \(got.system) \(got.each)\n\(cases[i].xml)")
            }
        }
        let shown = differ.prefix(3).joined(separator: "\n")
        #expect(differ.isEmpty, "\(differ.count) of \(cases.count) differ:\n\(shown)")
        let affected = ours.filter(\.system).count
        #expect(affected > 40 && affected < 360, "the generated cases are neither all affected nor all clean (\(affected))")
    }
}

/// The keyword a GLSA's arch attribute is matched with.
@Suite struct ArchKeywordTests {
    @Test func fromTheProfileElseFromTheSubarch() {
        #expect(ArchKeyword.of(profile: "default/linux/arm64/23.0/systemd", subarch: "amd64") == "arm64")
        #expect(ArchKeyword.of(profile: "hardened/linux/amd64", subarch: "i686") == "x86", "not a default/linux profile: the subarch")
        for (subarch, keyword) in [("amd64", "amd64"), ("znver3", "amd64"), ("i686", "x86"), ("pentium4", "x86"), ("armv7a", "arm"),
                                   ("aarch64", "arm64"), ("power9le", "ppc64"), ("ppc", "ppc"), ("rv64gc", "riscv"), ("sparc64", "sparc")] {
            #expect(ArchKeyword.of(profile: nil, subarch: subarch) == keyword, "\(subarch)")
        }
    }
}
