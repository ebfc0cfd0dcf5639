import ArgumentParser
import CBuildArtifacts
import CBuildBasics
import CBuildProject
import Foundation

/// `cbuild snapshot …`: dated portage snapshots and their roles (SPEC section 6).
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Fetch, verify, list, promote, roll back and prune portage snapshots.",
        discussion: """
            Examples:
              cbuild snapshot fetch                      newest dated snapshot into role stable
              cbuild snapshot fetch --role testing --date 20261124
              cbuild snapshot promote stable 20261124
              cbuild snapshot rollback stable
              cbuild snapshot fetch --locked             exactly what cbuild.lock names
            """,
        subcommands: [Fetch.self, List.self, Promote.self, Rollback.self, Prune.self, Verify.self])

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and verify a dated snapshot (today-1, today-2, … never 'latest') and point a role at it.",
            discussion: "Example: cbuild snapshot fetch --role testing")
        @OptionGroup var global: GlobalOptions
        @Option(help: "YYYYMMDD (default: the newest of today-1 … today-max_age_days, UTC).") var date: String?
        @Option(help: "The role to point at it.") var role: String = "stable"
        @Flag(help: "Fetch exactly the snapshots cbuild.lock names, checked against it.") var locked = false
        @Flag(help: "Skip signature checks (digests are still checked). Recorded; never use for production.") var insecure = false

        func run() async throws {
            try await Session.with(global, access: .mutating, command: "cbuild snapshot fetch") { ws, terminal, reporter in
                if insecure { reporter.emit(.diagnostic(Diagnostic(.warning, "--insecure: OpenPGP signatures are NOT checked; this is recorded with the snapshot"))) }
                let store = ws.snapshotStore()
                let outcomes: [FetchOutcome]
                if locked {
                    outcomes = try store.fetchLocked(lock: try LockFile.read(at: ws.directory.path("cbuild.lock")), insecure: insecure)
                } else {
                    outcomes = [try store.fetch(date: date, role: role, insecure: insecure)]
                }
                reporter.finish()
                for o in outcomes { terminal.line(FetchView.line(o)) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored snapshots: date, size, verification, roles, targets using them.",
                                                        discussion: "Example: cbuild snapshot list --json")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await Session.with(global, access: .readOnly, command: "cbuild snapshot list") { ws, terminal, _ in
                let infos = try ws.snapshotStore().list()
                let rows = infos.map { ArtifactRow($0, targets: $0.roles.flatMap { ws.targets(onSnapshotRole: $0) }) }
                if global.json { terminal.line(try Session.json(rows)); return }
                terminal.out(infos.isEmpty ? "no snapshots stored; run `cbuild snapshot fetch`\n" : ArtifactRow.table(rows, identTitle: "DATE"))
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point a role at a newer stored snapshot (forward only).",
                                                        discussion: "Example: cbuild snapshot promote stable 20261124")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The role.") var role: String
        @Argument(help: "YYYYMMDD of a stored snapshot.") var date: String
        func run() async throws {
            try await Session.with(global, access: .mutating, command: "cbuild snapshot promote") { ws, terminal, _ in
                terminal.line(FetchView.move(try ws.snapshotStore().promote(role: role, date: date)))
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a role back to its previous (or a named) snapshot; recorded as a rollback.",
                                                        discussion: "Example: cbuild snapshot rollback stable")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The role.") var role: String
        @Argument(help: "YYYYMMDD (default: the value before the last move).") var date: String?
        func run() async throws {
            try await Session.with(global, access: .mutating, command: "cbuild snapshot rollback") { ws, terminal, _ in
                terminal.line(FetchView.move(try ws.snapshotStore().rollback(role: role, to: date)))
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete old snapshots, keeping the newest N and every one a role, cbuild.lock or a current build uses.",
                                                        discussion: "Example: cbuild snapshot prune --keep 3 --dry-run")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many of the newest to keep.") var keep: Int
        @Flag(name: [.customShort("n"), .long], help: "Only list what would be removed.") var dryRun = false
        func validate() throws { if keep < 0 { throw ValidationError("--keep must be 0 or more") } }
        func run() async throws {
            try await Session.with(global, access: dryRun ? .readOnly : .mutating, command: "cbuild snapshot prune") { ws, terminal, _ in
                let removed = try ws.snapshotStore().prune(keep: keep, protecting: try ws.snapshotDatesInUse(), dryRun: dryRun)
                for r in removed { terminal.line((dryRun ? "would remove " : "removed ") + r.file) }
                if removed.isEmpty { terminal.line("nothing to prune") }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-hash stored snapshots against the digests recorded when they were verified (exit 3 on a mismatch).",
                                                        discussion: "Example: cbuild snapshot verify")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let bad = try await Session.with(global, access: .readOnly, command: "cbuild snapshot verify") { ws, terminal, _ in
                let results = try ws.snapshotStore().verify()
                if global.json { terminal.line(try Session.json(results.map(FetchView.VerifyRow.init))) }
                else { for r in results { terminal.line(FetchView.verify(r)) } }
                return results.contains { $0.isProblem }
            }
            if bad { throw ExitWith(.verification) }
        }
    }
}

/// Shared rendering for snapshot and seed commands.
enum FetchView {
    /// One file of `snapshot verify --json` / `seed verify --json`.
    struct VerifyRow: Codable {
        var kind: String, name: String?, ident: String, file: String
        /// intact, modified, unrecorded, missing
        var status: String
        var detail: String?
        init(_ r: VerifyResult) {
            kind = r.kind; name = r.name.isEmpty ? nil : r.name; ident = r.ident; file = r.file
            switch r.status {
            case .intact: status = "intact"
            case let .modified(d): status = "modified"; detail = d
            case .unrecorded: status = "unrecorded"
            case .missing: status = "missing"
            }
        }
    }

    static func line(_ o: FetchOutcome) -> String {
        var s = o.downloaded ? "fetched and verified \(o.file)" : "already have \(o.file)"
        if let by = o.verifiedBy { s += " (signed by \(by))" }
        if o.insecure { s += " (INSECURE: signature not checked)" }
        s += o.moved ? "; \(o.kind == "seed" ? "seed \(o.name) " : "")role \(o.role): \(o.previous ?? "(none)") → \(o.ident)"
                     : "; role \(o.role) stays at \(o.ident)"
        return s
    }
    static func move(_ m: RoleMove) -> String {
        let what = m.kind == "seed" ? "seed \(m.name) role \(m.role)" : "snapshot role \(m.role)"
        return m.moved ? "\(m.reason): \(what): \(m.from ?? "(none)") → \(m.to)" : "\(what) already at \(m.to)"
    }
    static func verify(_ r: VerifyResult) -> String {
        switch r.status {
        case .intact: return "ok        \(r.file)"
        case let .modified(d): return "MODIFIED  \(r.file): \(d)"
        case .unrecorded: return "unknown   \(r.file) (no verification record; fetch it again to verify)"
        case .missing: return "missing   \(r.file)"
        }
    }
}

/// One row of `snapshot list` / `seed list`.
struct ArtifactRow: Codable {
    var name: String?
    var ident: String
    var file: String
    var size: Int64
    var verifiedAt: Date?
    var verifiedBy: String?
    var insecure: Bool
    var roles: [String]
    var targets: [String]
    var modified: Bool

    init(_ i: ArtifactInfo, targets: [String]) {
        modified = i.modified
        name = i.name.isEmpty ? nil : i.name
        ident = i.ident; file = i.file; size = i.size; verifiedAt = i.verifiedAt; verifiedBy = i.verifiedBy
        insecure = i.insecure; roles = i.roles; self.targets = targets
    }

    static func table(_ rows: [ArtifactRow], identTitle: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "yyyy-MM-dd HH:mm"
        let head = (rows.contains { $0.name != nil } ? ["SEED"] : []) + [identTitle, "SIZE", "VERIFIED", "KEY", "ROLES", "TARGETS"]
        let body = rows.map { r -> [String] in
            let key = r.insecure ? "INSECURE" : (r.verifiedBy.map { String($0.suffix(16)) } ?? "-")
            let verified = r.modified ? "MODIFIED" : (r.verifiedAt.map(f.string(from:)) ?? "-")
            return (r.name.map { [$0] } ?? []) + [r.ident, Reporter.bytes(r.size), verified,
                                                   key, r.roles.joined(separator: ","), r.targets.isEmpty ? "-" : r.targets.joined(separator: " ")]
        }
        return TableView.render([head] + body)
    }
}

extension SnapshotCommand.List: PrintsData {}
extension SnapshotCommand.Verify: PrintsData {}
