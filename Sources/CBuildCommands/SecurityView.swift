import CBuildSecurity
import Foundation

/// Renders manifests, diffs and audit reports: aligned plain tables for
/// people, and the JSON documents `--json` prints.
enum SecurityView {
    struct PackagesJSON: Encodable {
        var node: String
        var output: String
        var manifest: PackageManifest
    }

    struct DiffJSON: Encodable {
        var old: String
        var new: String
        var diff: ManifestDiff
    }

    static func packages(_ m: PackageManifest) -> String {
        TableView.render([["PACKAGE", "VERSION", "SLOT", "REPOSITORY", "USE"]] + m.packages.map {
            [$0.package.cp, $0.version.text, $0.slot, $0.repository.isEmpty ? "-" : $0.repository, $0.use.joined(separator: " ")]
        })
    }

    static func diff(_ d: ManifestDiff) -> String {
        guard !d.changes.isEmpty else { return "no package changes (\(d.unchanged) packages unchanged)\n" }
        let rows = d.changes.map { c -> [String] in
            var notes: [String] = []
            if c.slotChanged { notes.append("slot \(c.oldSlot!) -> \(c.newSlot!)") }
            if c.kind != .added && (!c.useAdded.isEmpty || !c.useRemoved.isEmpty) {
                notes.append("USE " + (c.useAdded.map { "+" + $0 } + c.useRemoved.map { "-" + $0 }).joined(separator: " "))
            }
            let kind = c.kind == .rebuilt ? "changed" : c.kind.rawValue
            let versions: String
            switch c.kind {
            case .added: versions = c.new!
            case .removed: versions = c.old!
            default: versions = c.old == c.new ? c.new! : "\(c.old!) -> \(c.new!)"
            }
            return [kind, c.package, versions, notes.joined(separator: "; ")]
        }
        return TableView.render([["CHANGE", "PACKAGE", "VERSION", "NOTES"]] + rows)
            + "\(d.changes.count) changed, \(d.unchanged) unchanged\n"
    }

    static func audit(_ r: AuditReport) -> String {
        var s = ""
        if r.findings.isEmpty {
            s += "no advisory of snapshot \(r.snapshotDate) (\(r.advisoryCount) advisories) affects \(r.nodes.map(\.node).joined(separator: ", "))\n"
        } else {
            s += TableView.render([["NODE", "GLSA", "SEVERITY", "PACKAGE", "INSTALLED", "FIX", "FIXED IN \(r.snapshotDate)", "TITLE"]] + r.findings.map {
                [$0.node, $0.advisory, $0.severity.rawValue, $0.package, $0.installed, $0.fix.isEmpty ? "none" : $0.fix.joined(separator: " "),
                 $0.fixedIn ?? "not offered", $0.title]
            })
            s += "\(r.affectingAdvisories.count) GLSAs affect \(r.affectedNodes.count) of \(r.nodes.count) nodes; "
            s += "snapshot \(r.snapshotDate) offers fixes for \(r.fixedAdvisories.count) of them\n"
        }
        if !r.problems.isEmpty { s += "\(r.problems.count) advisory files skipped (see the warnings)\n" }
        return s
    }
}
