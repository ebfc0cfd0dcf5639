import CBuildSecurity
import Foundation

/// Renders manifests, diffs and audit reports: aligned plain tables for
/// people, and the JSON documents `--json` prints.
enum SecurityView {
    /// `cbuild packages --json`.
    struct PackagesJSON: Encodable {
        var node: String
        var output: String
        var manifest: PackageManifest
    }

    /// `cbuild diff --json`: which tarballs were compared, and the changes.
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
        let table = [["CHANGE", "PACKAGE", "VERSION", "NOTES"]] + rows
        // Without slot or USE changes the NOTES column would only add trailing blanks.
        return TableView.render(rows.allSatisfy { $0[3].isEmpty } ? table.map { Array($0.prefix(3)) } : table)
            + "\(d.changes.count) changed, \(d.unchanged) unchanged\n"
    }

    static func audit(_ r: AuditReport) -> String {
        var s = ""
        if r.nodes.isEmpty {
            s += "no stage has been built yet: nothing to audit against snapshot \(r.snapshotDate) (\(r.advisoryCount) advisories)\n"
        } else if r.findings.isEmpty {
            s += "no advisory of snapshot \(r.snapshotDate) (\(r.advisoryCount) advisories) affects \(r.nodes.map(\.node).joined(separator: ", "))\n"
        } else {
            s += TableView.render([["NODE", "GLSA", "SEVERITY", "PACKAGE", "INSTALLED", "FIX", "FIXED IN \(r.snapshotDate)", "TITLE"]] + r.findings.map {
                [$0.node, $0.advisory, $0.severity.rawValue, $0.package, $0.installed, $0.fix.isEmpty ? "none" : $0.fix.joined(separator: " "),
                 $0.fixedIn ?? "not offered", $0.title]
            })
            let ids = r.affectingAdvisories.count
            s += "\(ids) GLSA\(ids == 1 ? "" : "s") affect\(ids == 1 ? "s" : "") \(r.affectedNodes.count) of \(r.nodes.count) nodes; "
            s += "snapshot \(r.snapshotDate) offers fixes for \(r.fixedAdvisories.count) of them\n"
            let target = (r.snapshotRoles.first.map { $0 + " " } ?? "") + r.snapshotDate
            for n in r.nodes {
                let found = r.findings.filter { $0.node == n.node }
                guard !found.isEmpty else { continue }
                let from = n.builtFrom.map { "moving \($0) → \(target)" } ?? "moving to \(target)"
                if found.allSatisfy({ $0.fixedIn != nil }) {
                    s += "\(n.node): fixed by \(from)\n"
                } else {
                    s += "\(n.node): \(found.filter { $0.fixedIn == nil }.count) not fixed by \(from)\n"
                }
            }
        }
        if !r.problems.isEmpty { s += "\(r.problems.count) advisory files skipped (see the warnings)\n" }
        return s
    }
}
