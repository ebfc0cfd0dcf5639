import CBuildSecurity
import Foundation

/// The nightly's security part: the stable builds audited against the
/// advisories of the snapshot just fetched into testing, as a summary
/// line ("stable: 2 GLSAs affect 3 images; testing fixes both") and JUnit
/// test cases (one per node and affecting advisory; one passing case per
/// node no advisory affects).
extension NightlyReport {
    /// One line for people and CI logs.
    public var securitySummary: String? {
        if let note = securityNote { return "stable: not audited (\(note))" }
        guard let a = security else { return nil }
        let images = a.nodes.count
        if a.findings.isEmpty {
            return "stable: no GLSA of testing \(a.snapshotDate) affects the \(images) stable image\(images == 1 ? "" : "s")"
        }
        let ids = a.affectingAdvisories.count, hit = a.affectedNodes.count, fixed = a.fixedAdvisories.count
        let fixes: String
        switch fixed {
        case ids where ids == 1: fixes = "testing fixes it"
        case ids where ids == 2: fixes = "testing fixes both"
        case ids: fixes = "testing fixes all of them"
        case 0: fixes = "testing fixes none"
        default: fixes = "testing fixes \(fixed) of them"
        }
        return "stable: \(ids) GLSA\(ids == 1 ? "" : "s") affect\(ids == 1 ? "s" : "") \(hit) image\(hit == 1 ? "" : "s"); \(fixes)"
    }

    /// Test cases of the security suite, and how many of them fail.
    var securityCases: (tests: Int, failures: Int) {
        guard let a = security else { return (0, 0) }
        let passing = a.nodes.filter { n in !a.findings.contains { $0.node == n.node } }.count
        let failing = Set(a.findings.map { "\($0.node) \($0.advisory)" }).count
        return (passing + failing, failing)
    }

    /// `<testsuite>` for the audit, empty when there was none.
    func securityJUnit(escape esc: (String) -> String) -> String {
        guard let a = security else { return "" }
        let (tests, failures) = securityCases
        var x = "  <testsuite name=\"security: stable builds against GLSAs of testing \(esc(a.snapshotDate))\" tests=\"\(tests)\" failures=\"\(failures)\" skipped=\"0\">\n"
        for n in a.nodes {
            let found = a.findings.filter { $0.node == n.node }
            if found.isEmpty {
                x += "    <testcase classname=\"security\" name=\"\(esc(n.node)): no advisory\" time=\"0\"/>\n"
                continue
            }
            for id in Array(Set(found.map(\.advisory))).sorted() {
                let fs = found.filter { $0.advisory == id }
                let f = fs[0]
                let text = fs.map { "\($0.package)-\($0.installed) (slot \($0.slot)): fix \($0.fix.joined(separator: " ")); "
                    + ($0.fixedIn.map { "testing \(a.snapshotDate) offers \($0)" } ?? "testing \(a.snapshotDate) offers no fix") }.joined(separator: "\n")
                x += "    <testcase classname=\"security\" name=\"\(esc(n.node)) GLSA \(esc(id))\" time=\"0\">\n"
                x += "      <failure message=\"\(esc("GLSA \(id) (\(f.severity.rawValue)): \(f.title)"))\">\(esc(text + "\n" + f.resolution))</failure>\n"
                x += "    </testcase>\n"
            }
        }
        x += "  </testsuite>\n"
        return x
    }
}
