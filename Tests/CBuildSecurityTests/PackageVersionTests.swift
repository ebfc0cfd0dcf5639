import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildSecurity

/// Version order as PMS §3.2–3.3 defines it, checked on its corner cases and
/// against portage's own `vercmp` on generated pairs.
@Suite struct PackageVersionTests {
    func cmp(_ a: String, _ b: String) -> Int {
        PackageVersion.compare(PackageVersion(a)!, PackageVersion(b)!)
    }

    /// PMS corner cases, with the answer the specification gives.
    static let corners: [(String, String, Int)] = [
        ("1.0", "1.0", 0), ("1.0", "1.0.0", -1), ("1.0", "1.00", 0), ("1.01", "1.1", -1), ("1.010", "1.01", 0),
        ("1.1", "1.01", 1), ("1.0a", "1.0", 1), ("1.0a", "1.0b", -1), ("1.2a", "1.2.3", -1),
        ("1.0_alpha", "1.0_beta", -1), ("1.0_beta", "1.0_pre", -1), ("1.0_pre", "1.0_rc", -1),
        ("1.0_rc", "1.0", -1), ("1.0", "1.0_p", -1), ("1.0_p", "1.0_p0", 0), ("1.0_p1", "1.0_p2", -1),
        ("1.0_alpha1", "1.0_alpha", 1), ("1.0_rc1_p1", "1.0_rc1", 1), ("1.0_rc1", "1.0_rc1_pre", 1),
        ("1.0-r1", "1.0", 1), ("1.0-r0", "1.0", 0), ("1.0-r01", "1.0-r1", 0), ("1.0-r10", "1.0-r9", 1),
        ("2", "10", -1), ("001", "1", 0), ("1.2.3", "1.2.3-r1", -1),
        ("123456789012345678901234567890", "123456789012345678901234567891", -1),
        ("1.123456789012345678901234567890", "1.2", 1), ("1_p123456789012345678901", "1_p9", 1),
    ]

    @Test(arguments: corners.indices) func pmsCornerCase(_ i: Int) {
        let (a, b, want) = Self.corners[i]
        #expect(cmp(a, b) == want, "\(a) vs \(b)")
        #expect(cmp(b, a) == -want, "\(b) vs \(a)")
    }

    @Test func notVersionsAreRefused() {
        for bad in ["", "a", "1.", ".1", "1..2", "1.0-r", "1.0_", "1.0_gamma", "1.0ab", "1.0-1", "1.0_p1a", "1.0-r1-r2", "v1", "1.0 "] {
            #expect(PackageVersion(bad) == nil, "'\(bad)'")
        }
    }

    @Test func revisionAndSpellingAreKept() {
        let v = PackageVersion("3.0.13_p2-r1")!
        #expect(v.withoutRevision == "3.0.13_p2" && v.revisionText == "1" && v.description == "3.0.13_p2-r1")
        #expect(PackageVersion("1.0")!.withoutRevision == "1.0")
    }

    /// Deterministic pseudo-random versions built to hit every rule:
    /// leading zeros, long numbers, letters, suffix chains, revisions.
    static func randomVersion(_ g: inout SeededGenerator) -> String {
        let numbers = ["0", "00", "01", "010", "1", "10", "2", "9", "001", "100", "12345678901234567890", "3"]
        var s = numbers.randomElement(using: &g)!
        for _ in 0..<Int.random(in: 0...3, using: &g) { s += "." + numbers.randomElement(using: &g)! }
        if Int.random(in: 0..<4, using: &g) == 0 { s += String("abz".randomElement(using: &g)!) }
        for _ in 0..<Int.random(in: 0...2, using: &g) {
            s += "_" + ["alpha", "beta", "pre", "rc", "p"].randomElement(using: &g)!
            if Bool.random(using: &g) { s += ["", "0", "1", "2", "01", "10"].randomElement(using: &g)! }
        }
        if Int.random(in: 0..<3, using: &g) == 0 { s += "-r" + ["0", "1", "2", "10", "00"].randomElement(using: &g)! }
        return s
    }

    /// A small change to `v`, so many pairs are close (equal prefixes, one rule apart).
    static func mutate(_ v: String, _ g: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<6, using: &g) {
        case 0: return v + ".0"
        case 1: return v.hasSuffix("-r1") ? String(v.dropLast(3)) : v + "-r1"
        case 2: return v.replacingOccurrences(of: "1", with: "01")
        case 3: return v.contains("-r") ? v : v + "_p1"
        case 4: return v.contains("-r") ? v : v + "_rc"
        default: return randomVersion(&g)
        }
    }

    @Test func agreesWithPortageVercmpOnTenThousandPairs() throws {
        var g = SeededGenerator(seed: 0x6C_6C_73_61)
        var pairs: [[String]] = Self.corners.map { [$0.0, $0.1] }
        while pairs.count < 10_500 {
            let a = Self.randomVersion(&g)
            pairs.append([a, Bool.random(using: &g) ? Self.mutate(a, &g) : Self.randomVersion(&g)])
        }
        // Some strings that are not versions: both must refuse them.
        pairs += [["1.0_gamma", "1.0"], ["1.0", "1..0"], ["1.0-r", "1.0"], ["1.0ab", "1"]]
        let answer = try PortageOracle.ask(.init(vercmp: pairs))
        #expect(answer.vercmp.count == pairs.count)
        var disagreements: [String] = []
        for (pair, want) in zip(pairs, answer.vercmp) {
            let a = PackageVersion(pair[0]), b = PackageVersion(pair[1])
            let got = (a != nil && b != nil) ? PackageVersion.compare(a!, b!) : nil
            if got != want { disagreements.append("\(pair[0]) vs \(pair[1]): cbuild \(got.map(String.init) ?? "invalid"), portage \(want.map(String.init) ?? "invalid")") }
        }
        let shown = disagreements.prefix(20).joined(separator: "\n")
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(pairs.count) differ:\n\(shown)")
        #expect(Set(answer.vercmp.compactMap { $0 }) == [-1, 0, 1], "the generated pairs cover all three answers")
    }
}

/// `CAT/PN-PV` split as portage's `pkgsplit` does.
@Suite struct PackageNameTests {
    @Test func splitsAtTheFirstDashBeforeAWholeVersion() {
        let cases: [(String, String, String)] = [
            ("openssl-3.0.13-r1", "openssl", "3.0.13-r1"), ("gtk+-3.24.41", "gtk+", "3.24.41"),
            ("font-adobe-100dpi-1.0.4", "font-adobe-100dpi", "1.0.4"), ("python-3.12.3_p1", "python", "3.12.3_p1"),
            ("bash-completion-2.11", "bash-completion", "2.11"), ("x264-0.0.20240513", "x264", "0.0.20240513"),
        ]
        for (pf, name, version) in cases {
            let split = PackageName.split(pf: pf)
            #expect(split?.name == name && split?.version.text == version, "\(pf)")
        }
        #expect(PackageName.split(pf: "noversion") == nil)
        #expect(PackageName.split(pf: "-MERGING-foo-1.0") == nil)
    }

    @Test func qualifiedNamesAreChecked() {
        #expect(PackageName("dev-libs/openssl")?.cp == "dev-libs/openssl")
        #expect(PackageName("openssl") == nil)
        #expect(PackageName("dev-libs/openssl-1.0") == nil, "a name may not end in a version")
        #expect(PackageName("-dev/x") == nil)
        #expect(PackageVersionedName("dev-libs/openssl-3.0.13-r1")?.version.text == "3.0.13-r1")
    }
}
