import CBuildArtifacts
import CBuildBasics
import CBuildConfig
import Foundation

/// The snapshot and seed stores of a workspace, with settings mapped from
/// `[snapshots]` and `[seeds.NAME]` (keyring paths made absolute).
extension Workspace {
    /// `user@host`, recorded with every role move.
    public static var actor: String {
        let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "\(getuid())"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// "Today" for dated fetches: `CBUILD_NOW` (seconds since the epoch or
    /// YYYYMMDD) lets CI and tests pin it; otherwise the clock.
    public static var now: @Sendable () -> Date {
        if let v = ProcessInfo.processInfo.environment["CBUILD_NOW"] {
            if v.count == 8, let d = ArtifactIdent.date(v) { return { d } }
            if let s = Double(v) { return { Date(timeIntervalSince1970: s) } }
        }
        return { Date() }
    }

    public func snapshotStore() -> SnapshotStore {
        let s = configuration.project.snapshots
        let settings = MirrorSettings(mirrors: s.mirrors, keyring: s.keyring.map { directory.path($0) },
                                      maxAgeDays: s.maxAgeDays, allowHTTP: s.allowHTTP)
        return SnapshotStore(root: root, flavor: configuration.project.catalyst.flavor, settings: settings,
                             database: database, runner: SystemProcessRunner(), events: events,
                             now: Workspace.now, actor: Workspace.actor)
    }

    public func seedStore() -> SeedStore {
        let allowHTTP = configuration.project.snapshots.allowHTTP
        let seeds = configuration.project.seeds.map {
            SeedSettings(name: $0.name, arch: $0.arch, variant: $0.variant, mirrors: $0.mirrors,
                         keyring: $0.keyring.map { directory.path($0) }, allowHTTP: allowHTTP)
        }
        return SeedStore(root: root, seeds: seeds, database: database, runner: SystemProcessRunner(),
                         events: events, now: Workspace.now, actor: Workspace.actor)
    }

    /// Targets (node names) whose snapshot role is `role`.
    public func targets(onSnapshotRole role: String) -> [String] {
        configuration.targets.values.filter { $0.snapshot == role }.map(\.nodeName).sorted()
    }

    /// Snapshot dates the current builds were made from (prune keeps them).
    public func snapshotDatesInUse() throws -> Set<String> {
        var out = Set<String>()
        for (_, rec) in try database.currentBuilds() {
            for i in rec.inputs where i.name == "snapshot" {
                if let d = i.display, let dash = d.firstIndex(of: "-") {
                    out.insert(String(d[d.index(after: dash)...].prefix { $0.isNumber }))
                }
            }
        }
        return out
    }

    /// Seed release stamps the current builds were made from (prune keeps them).
    public func seedIdentsInUse() throws -> Set<String> {
        var out = Set<String>()
        for (_, rec) in try database.currentBuilds() {
            for i in rec.inputs where i.name == "seed" {
                if let d = i.display, let dash = d.lastIndex(of: "-") { out.insert(String(d[d.index(after: dash)...])) }
            }
        }
        return out
    }
}
