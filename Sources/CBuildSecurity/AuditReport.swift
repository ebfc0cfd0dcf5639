/// The result of auditing stage builds against one snapshot's advisories:
/// one finding per (node, advisory, installed package), the advisory files
/// that were skipped, and the snapshot audited against.
public struct AuditReport: Sendable, Codable, Equatable {
    /// One installed package of one node that one advisory affects.
    public struct Finding: Sendable, Codable, Equatable {
        public var node: String
        public var advisory: String
        public var title: String
        public var severity: Advisory.Severity
        /// `cat/pn`.
        public var package: String
        public var installed: String
        public var slot: String
        /// The unaffected ranges (`>=1.2.3`), what the advisory calls fixed.
        public var fix: [String]
        /// The advisory's resolution text.
        public var resolution: String
        /// The lowest fixed version the audited snapshot's tree offers, or nil.
        public var fixedIn: String?
    }

    /// One audited node: which build, how many packages.
    public struct Audited: Sendable, Codable, Equatable {
        public var node: String
        public var output: String
        public var packages: Int
        public var arch: String
        /// The snapshot the build was made from (role and date), when known.
        public var builtFrom: String?
    }

    public var snapshotDate: String
    /// Roles pointing at the audited snapshot (`testing`), for "fixed by moving to testing 20261124".
    public var snapshotRoles: [String] = []
    public var snapshotSHA256: String
    public var advisoryCount: Int
    public var nodes: [Audited]
    public var findings: [Finding]
    public var problems: [AdvisoryProblem]
    /// The tree had no `metadata/glsa` directory: nothing could be checked.
    public var noAdvisoryDirectory: Bool

    /// Whether a finding is at or above `threshold`.
    public func fails(at threshold: Advisory.Severity) -> Bool {
        findings.contains { $0.severity >= threshold }
    }

    /// Distinct advisories among the findings.
    public var affectingAdvisories: [String] { Array(Set(findings.map(\.advisory))).sorted() }
    /// Distinct nodes among the findings.
    public var affectedNodes: [String] { Array(Set(findings.map(\.node))).sorted() }
    /// Advisories every finding of which the snapshot's tree fixes.
    public var fixedAdvisories: [String] {
        affectingAdvisories.filter { id in findings.filter { $0.advisory == id }.allSatisfy { $0.fixedIn != nil } }
    }
}
