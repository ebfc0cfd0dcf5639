import CBuildBasics
import CBuildState
import Foundation

/// The dated portage snapshots in `artifacts/snapshots/` and their roles.
/// Fetches from the mirrors in order (newest day first, never "latest"),
/// verifies before anything is used, stores the file where catalyst looks
/// for it, and moves roles with a record of who, when and why.
///
/// Flavour 3: `snapshots/portage-DATE.tar.xz` with `.gpgsig` (detached
/// signature) and `.md5sum`; stored as `portage-DATE.tar.xz`, roles
/// `portage-ROLE.tar.xz`. Flavour 4: `snapshots/squashfs/gentoo-DATE.xz.sqfs`
/// checked against the clearsigned `snapshots/squashfs/sha512sum.txt`;
/// stored as `gentoo-DATE.xz.sqfs`, roles `gentoo-ROLE.sqfs`.
public final class SnapshotStore: Sendable {
    public let root: String
    public let flavor: Int
    public let settings: MirrorSettings
    public let database: StateDatabase
    public let runner: ProcessRunning
    public let events: EventSink
    public let now: @Sendable () -> Date
    public let actor: String
    /// Seconds without a byte before a download is abandoned.
    public let idleTimeout: TimeInterval
    let shelf: ArtifactShelf

    public init(root: String, flavor: Int, settings: MirrorSettings, database: StateDatabase, runner: ProcessRunning,
                events: EventSink, now: @escaping @Sendable () -> Date, actor: String, idleTimeout: TimeInterval = 60) {
        precondition(flavor == 3 || flavor == 4, "catalyst flavour must be 3 or 4 (checked by the configuration)")
        self.root = root
        self.flavor = flavor
        self.settings = settings
        self.database = database
        self.runner = runner
        self.events = events
        self.now = now
        self.actor = actor
        self.idleTimeout = idleTimeout
        shelf = ArtifactShelf(root: root, directory: "artifacts/snapshots", kind: "snapshot", name: "",
                              filePrefix: flavor == 3 ? "portage-" : "gentoo-",
                              fileSuffix: flavor == 3 ? ".tar.xz" : ".xz.sqfs",
                              linkPrefix: flavor == 3 ? "portage-" : "gentoo-",
                              linkSuffix: flavor == 3 ? ".tar.xz" : ".sqfs",
                              isValidIdent: { ArtifactIdent.isSnapshotDate($0) }, sourceMarker: nil,
                              database: database, events: events, now: now, actor: actor)
    }

    /// The stored file name of the snapshot of `date`.
    public func fileName(date: String) -> String { shelf.fileName(date) }

    /// The mirror path of the snapshot of `date`.
    public func mirrorPath(date: String) -> String {
        flavor == 3 ? "snapshots/portage-\(date).tar.xz" : "snapshots/squashfs/gentoo-\(date).xz.sqfs"
    }

    // MARK: fetch

    /// Fetches the snapshot of `date` — or, without a date, the newest of
    /// today-1 … today-`maxAgeDays` (UTC) that a mirror has — verifies it and
    /// points `role` at it. Without a date, a role already at that day or
    /// newer is left alone; with a date older than the role's, the move is
    /// refused (that is a rollback). A present, recorded, intact file is not
    /// downloaded again.
    public func fetch(date: String?, role: String, insecure: Bool) throws -> FetchOutcome {
        try RoleName.validate(role)
        if let date, !ArtifactIdent.isSnapshotDate(date) { throw ArtifactError.invalidDate(date) }
        let mirrors = try Mirror.list(settings.mirrors, allowHTTP: settings.allowHTTP, what: "snapshots")
        let current = try shelf.current(role)
        if let date, let current, date < current {
            throw ArtifactError.wouldMoveBackwards(kind: "snapshot", name: "", role: role, from: current, to: date)
        }
        try shelf.ensureDirectory()
        let candidates = date.map { [$0] } ?? ArtifactIdent.candidateDates(now: now(), maxAgeDays: settings.maxAgeDays)
        var session: FetchSession?
        for day in candidates {
            if date == nil, let current, day <= current {
                return outcome(role: role, ident: current, previous: current, moved: false, downloaded: false, record: nil)
            }
            if shelf.intactRecord(day) != nil {
                let move = try shelf.moveRole(role, to: day, reason: "fetch", note: nil, artifact: nil)
                return outcome(role: role, ident: day, previous: move.from, moved: move.moved, downloaded: false,
                               record: try database.artifact(path: shelf.relativePath(day)))
            }
            if session == nil { session = try FetchSession(store: self, mirrors: mirrors, insecure: insecure) }
            if let record = try session!.download(day, locked: nil) {
                let move = try shelf.moveRole(role, to: day, reason: "fetch", note: insecure ? "--insecure" : nil, artifact: record)
                return outcome(role: role, ident: day, previous: move.from, moved: move.moved, downloaded: true, record: record)
            }
        }
        let what = date.map { "snapshot \($0)" }
            ?? "a snapshot from \(candidates.first!) back to \(candidates.last!)"
        throw ArtifactError.notFound(what: what, attempts: session?.walk.attempts ?? [])
    }

    /// Fetches exactly the files cbuild.lock names for each snapshot role,
    /// checks them against the lock's size and digests and the mirror's
    /// signature, and points the roles at them (recorded as "locked").
    public func fetchLocked(lock: LockFile, insecure: Bool) throws -> [FetchOutcome] {
        guard !lock.snapshots.isEmpty else { return [] }
        let mirrors = try Mirror.list(settings.mirrors, allowHTTP: settings.allowHTTP, what: "snapshots")
        try shelf.ensureDirectory()
        var session: FetchSession?
        var outcomes: [FetchOutcome] = []
        for role in lock.snapshots.keys.sorted() {
            let entry = lock.snapshots[role]!
            guard entry.file == shelf.fileName(entry.ident) else {
                throw ArtifactError.lockFileInvalid(
                    path: LockFile.fileName, line: nil, key: "snapshots.\(role).file",
                    reason: "'\(entry.file)' is not the flavour-\(flavor) snapshot of \(entry.ident) (\(shelf.fileName(entry.ident)))")
            }
            if FileManager.default.fileExists(atPath: shelf.filePath(entry.ident)),
               (try? LockCheck.check(shelf.digests(entry.ident), against: entry)) != nil {
                let move = try shelf.moveRole(role, to: entry.ident, reason: "locked", note: nil, artifact: nil)
                outcomes.append(outcome(role: role, ident: entry.ident, previous: move.from, moved: move.moved,
                                        downloaded: false, record: try database.artifact(path: shelf.relativePath(entry.ident))))
                continue
            }
            // A stored copy that differs from the lock is not resumed from: fetch it afresh.
            if FileManager.default.fileExists(atPath: shelf.filePath(entry.ident)) {
                unlink(shelf.filePath(entry.ident))
                try database.deleteArtifacts(paths: [shelf.relativePath(entry.ident)])
            }
            if session == nil { session = try FetchSession(store: self, mirrors: mirrors, insecure: insecure) }
            guard let record = try session!.download(entry.ident, locked: entry) else {
                throw ArtifactError.notFound(what: "locked snapshot \(entry.file)", attempts: session!.walk.attempts)
            }
            let move = try shelf.moveRole(role, to: entry.ident, reason: "locked", note: insecure ? "--insecure" : nil, artifact: record)
            outcomes.append(outcome(role: role, ident: entry.ident, previous: move.from, moved: move.moved,
                                    downloaded: true, record: record))
        }
        return outcomes
    }

    private func outcome(role: String, ident: String, previous: String?, moved: Bool, downloaded: Bool,
                         record: ArtifactRecord?) -> FetchOutcome {
        FetchOutcome(kind: "snapshot", name: "", role: role, ident: ident, file: shelf.fileName(ident),
                     path: shelf.filePath(ident), previous: previous, moved: moved, downloaded: downloaded,
                     source: record?.source, verifiedBy: record?.verifiedBy, insecure: record?.insecure ?? false)
    }

    // MARK: roles

    /// Snapshots on disk, newest first, with their roles and verification records.
    public func list() throws -> [SnapshotInfo] { try shelf.list() }

    /// The date `role` points at, nil when it points nowhere.
    public func current(role: String) throws -> String? { try shelf.current(role) }

    /// Whether the file `role` points at still holds its verified bytes (nil: the role is unset).
    public func integrity(role: String) throws -> VerifyResult.Status? {
        try shelf.current(role).map { shelf.integrity($0) }
    }

    /// All roles and their dates.
    public func roles() -> [String: String] { shelf.roles() }

    /// Moves `role` forward to `date` (already fetched); an older date is refused with a hint to `rollback`.
    @discardableResult
    public func promote(role: String, date: String) throws -> RoleMove { try shelf.promote(role, to: date) }

    /// Moves `role` back to `date`, or without a date to its value before the last forward move.
    @discardableResult
    public func rollback(role: String, to date: String?) throws -> RoleMove { try shelf.rollback(role, to: date) }

    /// Deletes snapshots beyond the `keep` newest that no role, cbuild.lock
    /// or `protecting` (dates or file names, e.g. those kept builds use)
    /// needs. Returns what was removed (or would be, with `dryRun`).
    public func prune(keep: Int, protecting: Set<String> = [], dryRun: Bool = false) throws -> [SnapshotInfo] {
        try shelf.prune(keep: keep, protecting: protecting, dryRun: dryRun)
    }

    /// Re-hashes every stored snapshot against its record.
    public func verify() throws -> [VerifyResult] { try shelf.verify() }

    /// The file `role` points at, for the graph's keys and specs; exit 2 when it points nowhere.
    public func resolve(role: String) throws -> ResolvedArtifact { try shelf.resolve(role) }

    /// The role history, newest first (all roles when nil).
    public func history(role: String? = nil) throws -> [RoleMoveRecord] {
        try database.roleHistory(kind: "snapshot", name: "", role: role)
    }
}

/// The per-fetch machinery, kept apart from the store's public operations.
extension SnapshotStore {
    /// The state of one fetch: the mirror walk, the signature policy, and
    /// each mirror's verified `sha512sum.txt` (flavour 4), fetched once.
    final class FetchSession {
        let store: SnapshotStore
        let walk: MirrorWalk
        let policy: SignaturePolicy
        private var sums: [Mirror: (list: DigestList, fingerprint: String?)?] = [:]

        init(store: SnapshotStore, mirrors: [Mirror], insecure: Bool) throws {
            self.store = store
            policy = try SignaturePolicy(insecure: insecure, keyring: store.settings.keyring,
                                         systemKeyFile: store.settings.systemKeyFile, root: store.root,
                                         runner: store.runner, events: store.events, what: "snapshots")
            walk = try MirrorWalk(mirrors: mirrors, downloader: Downloader(events: store.events, idleTimeout: store.idleTimeout),
                                  staging: store.root + "/artifacts/.partial", events: store.events)
        }

        /// Downloads and verifies the snapshot of `date` from the first mirror
        /// that has it and moves it into place; nil when no mirror has it.
        /// With `locked`, the file must also match that cbuild.lock entry.
        func download(_ date: String, locked: LockFile.Entry?) throws -> ArtifactRecord? {
            for mirror in walk.usable {
                let found = store.flavor == 3 ? try flavor3(date, mirror, locked) : try flavor4(date, mirror, locked)
                if let found { return found }
            }
            return nil
        }

        private func flavor3(_ date: String, _ mirror: Mirror, _ locked: LockFile.Entry?) throws -> ArtifactRecord? {
            let file = store.fileName(date: date)
            let rel = store.mirrorPath(date: date)
            var signature: String?
            if !policy.insecure {
                guard let sig = try walk.get(rel + ".gpgsig", from: mirror, as: file + ".gpgsig", resume: false) else { return nil }
                signature = sig
            }
            let md5 = locked == nil ? try walk.get(rel + ".md5sum", from: mirror, as: file + ".md5sum", resume: false) : nil
            defer { walk.discard(signature, md5) }
            guard let data = try fetchLarge(rel, file, from: mirror) else { return nil }
            return try checked(data, date: date, url: mirror.url(for: rel).absoluteString, locked: locked) { digests in
                if let md5 {
                    let text = String(decoding: FileManager.default.contents(atPath: md5) ?? Data(), as: UTF8.self)
                    try DigestList.parseSums(text, algorithm: .md5).check(file, actual: digests, required: [.md5],
                                                                         display: file + ".md5sum")
                }
                return try policy.detached(file: data, signature: signature, display: mirror.url(for: rel).absoluteString)
            }
        }

        private func flavor4(_ date: String, _ mirror: Mirror, _ locked: LockFile.Entry?) throws -> ArtifactRecord? {
            let file = store.fileName(date: date)
            let rel = store.mirrorPath(date: date)
            guard let published = try sha512sums(mirror) else { return nil }
            let listed = published.list.lists(file)
            if !listed {
                guard locked != nil else {
                    walk.note(mirror, "snapshots/squashfs/sha512sum.txt does not list \(file) (yet)")
                    return nil
                }
                // Older snapshots drop out of the list; the committed lock still pins their digests.
                store.events.emit(.diagnostic(Diagnostic(
                    .warning, "\(mirror)/snapshots/squashfs/sha512sum.txt no longer lists \(file); checking it against cbuild.lock's digests only")))
            }
            guard let data = try fetchLarge(rel, file, from: mirror) else { return nil }
            return try checked(data, date: date, url: mirror.url(for: rel).absoluteString, locked: locked) { digests in
                if listed {
                    try published.list.check(file, actual: digests, required: [.sha512], display: "sha512sum.txt")
                }
                return published.fingerprint
            }
        }

        /// The signed digest list of a mirror's `snapshots/squashfs/`, once per fetch.
        private func sha512sums(_ mirror: Mirror) throws -> (list: DigestList, fingerprint: String?)? {
            if let cached = sums[mirror] { return cached }
            var result: (DigestList, String?)?
            if let path = try walk.get("snapshots/squashfs/sha512sum.txt", from: mirror, as: "sha512sum.txt", resume: false) {
                defer { walk.discard(path) }
                let (fpr, text) = try policy.clearsigned(path, display: mirror.url(for: "snapshots/squashfs/sha512sum.txt").absoluteString)
                result = (DigestList.parseSums(text, algorithm: .sha512), fpr)
            }
            sums[mirror] = .some(result)
            return result
        }

        /// Downloads (or resumes) the large file into the staging directory.
        /// A stored copy with no record (the state database was deleted) is
        /// moved there first, so it is verified again for the price of one
        /// request; a recorded copy that no longer matches its record is deleted.
        private func fetchLarge(_ rel: String, _ file: String, from mirror: Mirror) throws -> String? {
            let partial = walk.partialPath(file)
            let stored = store.shelf.directoryPath + "/" + file
            if FileManager.default.fileExists(atPath: stored) {
                if try store.database.artifact(path: store.shelf.directory + "/" + file) == nil {
                    unlink(partial)
                    guard rename(stored, partial) == 0 else {
                        throw ArtifactError.io(path: stored, reason: "cannot move aside: \(String(cString: strerror(errno)))")
                    }
                } else {
                    unlink(stored)
                }
            }
            return try walk.get(rel, from: mirror, as: file, resume: true)
        }

        /// Hashes the staged file in one pass, runs `verify` (digest lists and
        /// signatures; returns the signer), checks a lock entry, then moves the
        /// file into place. Any failure deletes the staged file.
        private func checked(_ data: String, date: String, url: String, locked: LockFile.Entry?,
                             verify: ([Digest]) throws -> String?) throws -> ArtifactRecord {
            do {
                let size = Downloader.size(of: data) ?? 0
                if let locked { try LockCheck.checkSize(size, against: locked) }
                let digests = try ContentHasher.digestFile(at: data, algorithms: ArtifactShelf.recordedAlgorithms + [.md5])
                let fingerprint = try verify(digests)
                if let locked { try LockCheck.check((size, digests), against: locked) }
                let target = store.shelf.filePath(date)
                guard rename(data, target) == 0 else {
                    throw ArtifactError.io(path: target, reason: "cannot move into place: \(String(cString: strerror(errno)))")
                }
                return store.shelf.record(date, size: size, digests: digests, verifiedBy: fingerprint, source: url,
                                          insecure: policy.insecure)
            } catch {
                unlink(data)
                throw error
            }
        }
    }
}
