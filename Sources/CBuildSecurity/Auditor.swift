/// Audits package manifests against a snapshot's advisories.
public enum Auditor {
    /// One node to audit: its name, the build output read, its manifest, its arch keyword.
    public struct Subject: Sendable {
        public var node: String
        public var output: String
        public var manifest: PackageManifest
        public var arch: String
        /// `stable 20261120`: the snapshot the build was made from.
        public var builtFrom: String?
        public init(node: String, output: String, manifest: PackageManifest, arch: String, builtFrom: String? = nil) {
            self.node = node; self.output = output; self.manifest = manifest; self.arch = arch; self.builtFrom = builtFrom
        }
    }

    public static func audit(_ subjects: [Subject], against snapshot: SnapshotAdvisories) -> AuditReport {
        var findings: [AuditReport.Finding] = []
        for s in subjects {
            for a in snapshot.advisories {
                for m in AdvisoryMatcher.matches(a, installed: s.manifest.packages, arch: s.arch) {
                    let fixed = AdvisoryMatcher.minimalUpgrade(for: m.installed, entry: m.entry,
                                                               offered: snapshot.offered[m.entry.package.cp] ?? [])
                    findings.append(.init(node: s.node, advisory: a.id, title: a.title, severity: a.severity,
                                          package: m.installed.package.cp, installed: m.installed.version.text,
                                          slot: m.installed.slot, fix: m.entry.unaffected.map(\.description),
                                          resolution: a.resolution, fixedIn: fixed?.text))
                }
            }
        }
        findings.sort { ($0.node, $0.advisory, $0.package) < ($1.node, $1.advisory, $1.package) }
        return AuditReport(snapshotDate: snapshot.date, snapshotSHA256: snapshot.sha256,
                           advisoryCount: snapshot.advisories.count,
                           nodes: subjects.map { .init(node: $0.node, output: $0.output, packages: $0.manifest.packages.count, arch: $0.arch,
                                                        builtFrom: $0.builtFrom) },
                           findings: findings, problems: snapshot.problems,
                           noAdvisoryDirectory: !snapshot.hasAdvisoryDirectory)
    }
}
