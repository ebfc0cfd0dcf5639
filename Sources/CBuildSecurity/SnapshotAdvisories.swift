/// What one snapshot says about security, read once per snapshot digest:
/// its advisories, the advisory files it had to skip and why, and for
/// every package an advisory names, the versions its tree offers (from the
/// ebuild file names), which is how the audit tells whether moving to this
/// snapshot fixes an installed version.
public struct SnapshotAdvisories: Sendable, Codable, Equatable {
    /// The snapshot's date (`20261124`).
    public var date: String
    /// `sha256:…` of the snapshot file.
    public var sha256: String
    /// Whether the tree has a `metadata/glsa` directory at all.
    public var hasAdvisoryDirectory: Bool
    public var advisories: [Advisory]
    public var problems: [AdvisoryProblem]
    /// `cat/pn` → versions of its ebuilds in the tree, for packages the advisories name.
    public var offered: [String: [PackageVersion]]

    public init(date: String, sha256: String, hasAdvisoryDirectory: Bool, advisories: [Advisory],
                problems: [AdvisoryProblem], offered: [String: [PackageVersion]]) {
        self.date = date; self.sha256 = sha256; self.hasAdvisoryDirectory = hasAdvisoryDirectory
        self.advisories = advisories.sorted { $0.id < $1.id }
        self.problems = problems.sorted { $0.file < $1.file }
        self.offered = offered.mapValues { $0.sorted() }
    }
}
