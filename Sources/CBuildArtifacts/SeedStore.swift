import CBuildBasics
import CBuildState
import Foundation

/// The stage3 seeds in `artifacts/builds/seeds/` (where catalyst's
/// `source_subpath` finds them) and their roles, one set per `[seeds.NAME]`.
/// A fetch reads the clearsigned `latest-stage3-<arch>-<variant>.txt`, takes
/// the stage's path from its signed text only, downloads the stage with its
/// detached `.asc` and clearsigned `.DIGESTS`, and requires the signature and
/// both SHA512 and BLAKE2B to match before the file is stored as
/// `stage3-<arch>-<variant>-<release>.tar.xz` and the role link
/// `<NAME>-<ROLE>.tar.xz` moves.
public final class SeedStore: Sendable {
    public let root: String
    public let seeds: [SeedSettings]
    public let database: StateDatabase
    public let runner: ProcessRunning
    public let events: EventSink
    public let now: @Sendable () -> Date
    public let actor: String
    public let idleTimeout: TimeInterval

    public static let directory = "artifacts/builds/seeds"

    public init(root: String, seeds: [SeedSettings], database: StateDatabase, runner: ProcessRunning,
                events: EventSink, now: @escaping @Sendable () -> Date, actor: String, idleTimeout: TimeInterval = 60) {
        self.root = root
        self.seeds = seeds
        self.database = database
        self.runner = runner
        self.events = events
        self.now = now
        self.actor = actor
        self.idleTimeout = idleTimeout
    }

    /// The settings of seed `name`; exit 2 with a suggestion when unknown.
    public func settings(_ name: String) throws -> SeedSettings {
        guard let s = seeds.first(where: { $0.name == name }) else {
            throw ArtifactError.unknownSeed(name, suggestion: Suggest.didYouMean(name, among: seeds.map(\.name)))
        }
        for part in [s.name, s.arch, s.variant] where !RoleName.isValidComponent(part) {
            throw ArtifactError.unknownSeed(s.name, suggestion: "'\(part)' cannot be used in a file name")
        }
        return s
    }

    func shelf(_ s: SeedSettings) -> ArtifactShelf {
        ArtifactShelf(root: root, directory: Self.directory, kind: "seed", name: s.name,
                      filePrefix: "stage3-\(s.arch)-\(s.variant)-", fileSuffix: ".tar.xz",
                      linkPrefix: "\(s.name)-", linkSuffix: ".tar.xz",
                      isValidIdent: { ArtifactIdent.isReleaseStamp($0) },
                      sourceMarker: "/\(s.autobuildsPath)/",
                      database: database, events: events, now: now, actor: actor)
    }

    private func shelves(_ name: String?) throws -> [ArtifactShelf] {
        try (name.map { [try settings($0)] } ?? seeds).map(shelf)
    }

    // MARK: fetch

    /// Fetches the release `timestamp` of seed `name` (Gentoo keeps each
    /// release under `releases/<arch>/autobuilds/<timestamp>/`), verifies
    /// it like any seed (.asc, SHA512 and BLAKE2B from the signed .DIGESTS)
    /// and points `role` at it: how an image is frozen at an older seed.
    /// A role at a newer release is not moved back (that is a rollback).
    public func fetch(name: String, role: String, timestamp: String, insecure: Bool) throws -> FetchOutcome {
        let s = try settings(name)
        try RoleName.validate(role)
        guard ArtifactIdent.isReleaseStamp(timestamp) else { throw ArtifactError.invalidDate(timestamp) }
        let shelf = shelf(s)
        let mirrors = try Mirror.list(s.mirrors, allowHTTP: s.allowHTTP, what: "seed '\(name)'")
        try shelf.ensureDirectory()
        let current = try shelf.current(role)
        if let current, current > timestamp {
            throw ArtifactError.wouldMoveBackwards(kind: "seed", name: name, role: role, from: current, to: timestamp)
        }
        let path = "\(timestamp)/\(shelf.fileName(timestamp))"
        if shelf.intactRecord(timestamp) != nil {
            let move = try shelf.moveRole(role, to: timestamp, reason: "fetch", note: nil, artifact: nil, source: path)
            return outcome(shelf, role: role, ident: timestamp, previous: move.from, moved: move.moved, downloaded: false)
        }
        let session = try FetchSession(store: self, seed: s, shelf: shelf, mirrors: mirrors, insecure: insecure)
        for mirror in session.walk.usable {
            guard let record = try session.download(ident: timestamp, path: path, advertisedSize: nil,
                                                    from: mirror, locked: nil) else { continue }
            let move = try shelf.moveRole(role, to: timestamp, reason: "fetch", note: insecure ? "--insecure" : nil,
                                          artifact: record, source: path)
            return outcome(shelf, role: role, ident: timestamp, previous: move.from, moved: move.moved, downloaded: true)
        }
        throw ArtifactError.notFound(what: "seed '\(name)' release \(timestamp) (\(s.autobuildsPath)/\(path))",
                                     attempts: session.walk.attempts)
    }

    /// Fetches the newest stage the signed listing names for seed `name`,
    /// verifies it, and points `role` at it. A role already at that release
    /// or newer is left alone (a listing never moves a role backwards).
    public func fetch(name: String, role: String, insecure: Bool) throws -> FetchOutcome {
        let s = try settings(name)
        try RoleName.validate(role)
        let shelf = shelf(s)
        let mirrors = try Mirror.list(s.mirrors, allowHTTP: s.allowHTTP, what: "seed '\(name)'")
        try shelf.ensureDirectory()
        let current = try shelf.current(role)
        let session = try FetchSession(store: self, seed: s, shelf: shelf, mirrors: mirrors, insecure: insecure)
        for mirror in session.walk.usable {
            guard let (listing, _) = try session.listing(mirror) else { continue }
            let ident = try session.ident(of: listing, mirror: mirror)
            if let current, ident <= current {
                if ident < current {
                    events.emit(.diagnostic(Diagnostic(.note, "\(mirror) lists \(ident), older than \(name) role '\(role)' (\(current)); role unchanged")))
                }
                return outcome(shelf, role: role, ident: current, previous: current, moved: false, downloaded: false)
            }
            if shelf.intactRecord(ident) != nil {
                let move = try shelf.moveRole(role, to: ident, reason: "fetch", note: nil, artifact: nil, source: listing.path)
                return outcome(shelf, role: role, ident: ident, previous: move.from, moved: move.moved, downloaded: false)
            }
            guard let record = try session.download(ident: ident, path: listing.path, advertisedSize: listing.size,
                                                    from: mirror, locked: nil) else { continue }
            let move = try shelf.moveRole(role, to: ident, reason: "fetch", note: insecure ? "--insecure" : nil,
                                          artifact: record, source: listing.path)
            return outcome(shelf, role: role, ident: ident, previous: move.from, moved: move.moved, downloaded: true)
        }
        throw ArtifactError.notFound(what: "seed '\(name)' (\(s.listingPath))", attempts: session.walk.attempts)
    }

    /// Fetches exactly the stages cbuild.lock names for every seed role,
    /// checks them against the lock and the signatures, and sets the roles.
    public func fetchLocked(lock: LockFile, insecure: Bool) throws -> [FetchOutcome] {
        var outcomes: [FetchOutcome] = []
        for name in lock.seeds.keys.sorted() {
            let s = try settings(name)
            let shelf = shelf(s)
            let mirrors = try Mirror.list(s.mirrors, allowHTTP: s.allowHTTP, what: "seed '\(name)'")
            try shelf.ensureDirectory()
            var session: FetchSession?
            for role in lock.seeds[name]!.keys.sorted() {
                let entry = lock.seeds[name]![role]!
                guard entry.file == shelf.fileName(entry.ident) else {
                    throw ArtifactError.lockFileInvalid(
                        path: LockFile.fileName, line: nil, key: "seeds.\(name).\(role).file",
                        reason: "'\(entry.file)' is not seed '\(name)''s stage \(entry.ident) (\(shelf.fileName(entry.ident)))")
                }
                let source = entry.source ?? "\(entry.ident)/\(entry.file)"
                if FileManager.default.fileExists(atPath: shelf.filePath(entry.ident)) {
                    if (try? LockCheck.check(shelf.digests(entry.ident), against: entry)) != nil {
                        let move = try shelf.moveRole(role, to: entry.ident, reason: "locked", note: nil, artifact: nil, source: source)
                        outcomes.append(outcome(shelf, role: role, ident: entry.ident, previous: move.from,
                                                moved: move.moved, downloaded: false))
                        continue
                    }
                    unlink(shelf.filePath(entry.ident))
                    try database.deleteArtifacts(paths: [shelf.relativePath(entry.ident)])
                }
                if session == nil {
                    session = try FetchSession(store: self, seed: s, shelf: shelf, mirrors: mirrors, insecure: insecure)
                }
                var record: ArtifactRecord?
                for mirror in session!.walk.usable {
                    record = try session!.download(ident: entry.ident, path: source, advertisedSize: entry.size,
                                                   from: mirror, locked: entry)
                    if record != nil { break }
                }
                guard let record else {
                    throw ArtifactError.notFound(what: "locked seed \(entry.file)", attempts: session!.walk.attempts)
                }
                let move = try shelf.moveRole(role, to: entry.ident, reason: "locked", note: insecure ? "--insecure" : nil,
                                              artifact: record, source: source)
                outcomes.append(outcome(shelf, role: role, ident: entry.ident, previous: move.from, moved: move.moved,
                                        downloaded: true))
            }
        }
        return outcomes
    }

    private func outcome(_ shelf: ArtifactShelf, role: String, ident: String, previous: String?, moved: Bool,
                         downloaded: Bool) -> FetchOutcome {
        let record = try? database.artifact(path: shelf.relativePath(ident))
        return FetchOutcome(kind: "seed", name: shelf.name, role: role, ident: ident, file: shelf.fileName(ident),
                            path: shelf.filePath(ident), previous: previous, moved: moved, downloaded: downloaded,
                            source: record?.source, verifiedBy: record?.verifiedBy, insecure: record?.insecure ?? false)
    }

    // MARK: roles

    /// Stored stages of one seed (or all), newest first.
    public func list(name: String? = nil) throws -> [SeedInfo] { try shelves(name).flatMap { try $0.list() } }

    public func current(name: String, role: String) throws -> String? { try shelf(settings(name)).current(role) }

    /// Whether the stage seed `name`'s `role` points at still holds its verified bytes (nil: unset).
    public func integrity(name: String, role: String) throws -> VerifyResult.Status? {
        let shelf = try shelf(settings(name))
        return try shelf.current(role).map { shelf.integrity($0) }
    }

    @discardableResult
    public func promote(name: String, role: String, to ident: String) throws -> RoleMove {
        try shelf(settings(name)).promote(role, to: ident)
    }

    @discardableResult
    public func rollback(name: String, role: String, to ident: String?) throws -> RoleMove {
        try shelf(settings(name)).rollback(role, to: ident)
    }

    /// Like `SnapshotStore.prune`, per seed (all seeds when `name` is nil).
    public func prune(name: String? = nil, keep: Int, protecting: Set<String> = [], dryRun: Bool = false) throws -> [SeedInfo] {
        try shelves(name).flatMap { try $0.prune(keep: keep, protecting: protecting, dryRun: dryRun) }
    }

    public func verify(name: String? = nil) throws -> [VerifyResult] { try shelves(name).flatMap { try $0.verify() } }

    /// The stage `role` of seed `name` points at; exit 2 when it points nowhere.
    public func resolve(name: String, role: String) throws -> ResolvedArtifact { try shelf(settings(name)).resolve(role) }

    public func history(name: String, role: String? = nil) throws -> [RoleMoveRecord] {
        try database.roleHistory(kind: "seed", name: name, role: role)
    }
}

/// The per-fetch machinery, kept apart from the store's public operations.
extension SeedStore {
    /// One seed fetch: the mirror walk and signature policy, and the steps
    /// listing → stage + `.asc` + `.DIGESTS` → checks → store.
    final class FetchSession {
        let seed: SeedSettings
        let shelf: ArtifactShelf
        let walk: MirrorWalk
        let policy: SignaturePolicy

        init(store: SeedStore, seed: SeedSettings, shelf: ArtifactShelf, mirrors: [Mirror], insecure: Bool) throws {
            self.seed = seed
            self.shelf = shelf
            policy = try SignaturePolicy(insecure: insecure, keyring: seed.keyring, systemKeyFile: seed.systemKeyFile,
                                         root: store.root, runner: store.runner, events: store.events,
                                         what: "seed '\(seed.name)'")
            walk = try MirrorWalk(mirrors: mirrors, downloader: Downloader(events: store.events, idleTimeout: store.idleTimeout),
                                  staging: store.root + "/artifacts/.partial", events: store.events)
        }

        /// The mirror's verified listing; nil when the mirror does not have it.
        func listing(_ mirror: Mirror) throws -> (SeedListing, String?)? {
            let name = (seed.listingPath as NSString).lastPathComponent
            guard let path = try walk.get(seed.listingPath, from: mirror, as: name, resume: false) else { return nil }
            defer { walk.discard(path) }
            let url = mirror.url(for: seed.listingPath).absoluteString
            let (fpr, text) = try policy.clearsigned(path, display: url)
            return (try SeedListing.parse(text, url: url), fpr)
        }

        /// The release stamp in the listed file's name, which must be this seed's stage.
        func ident(of listing: SeedListing, mirror: Mirror) throws -> String {
            guard let ident = shelf.ident(ofFile: listing.baseName) else {
                throw ArtifactError.malformedListing(
                    url: mirror.url(for: seed.listingPath).absoluteString,
                    reason: "'\(listing.path)' is not a stage3-\(seed.arch)-\(seed.variant)-<release>.tar.xz")
            }
            return ident
        }

        /// Downloads the stage at `path` (below the autobuilds directory) with
        /// its signature and digests, verifies all, and moves it into place.
        /// nil when this mirror lacks one of the files. `advertisedSize`:
        /// what the signed listing or the lock says (nil: a release named by
        /// its timestamp, whose size only the signed digests vouch for).
        func download(ident: String, path: String, advertisedSize: Int64?, from mirror: Mirror,
                      locked: LockFile.Entry?) throws -> ArtifactRecord? {
            let rel = seed.autobuildsPath + "/" + path
            let base = (path as NSString).lastPathComponent
            let url = mirror.url(for: rel).absoluteString
            var signature: String?
            if !policy.insecure {
                guard let sig = try walk.get(rel + ".asc", from: mirror, as: base + ".asc", resume: false) else { return nil }
                signature = sig
            }
            guard let digestsFile = try walk.get(rel + ".DIGESTS", from: mirror, as: base + ".DIGESTS", resume: false) else {
                walk.discard(signature)
                return nil
            }
            defer { walk.discard(signature, digestsFile) }
            let file = shelf.fileName(ident)
            guard let data = try walk.get(rel, from: mirror, as: file, resume: true) else { return nil }
            do {
                let size = Downloader.size(of: data) ?? 0
                if let advertisedSize, size < advertisedSize {
                    throw ArtifactError.verificationFailed(file: url, reason: .truncated(expected: advertisedSize, actual: size))
                }
                if let advertisedSize, size > advertisedSize {
                    throw ArtifactError.verificationFailed(file: url, reason: .sizeMismatch(expected: advertisedSize, actual: size))
                }
                let digests = try ContentHasher.digestFile(at: data, algorithms: ArtifactShelf.recordedAlgorithms)
                let (_, text) = try policy.clearsigned(digestsFile, display: url + ".DIGESTS")
                try DigestList.parseDIGESTS(text).check(base, actual: digests, required: [.sha512, .blake2b512],
                                                        display: base + ".DIGESTS")
                let fingerprint = try policy.detached(file: data, signature: signature, display: url)
                if let locked { try LockCheck.check((size, digests), against: locked) }
                guard rename(data, shelf.filePath(ident)) == 0 else {
                    throw ArtifactError.io(path: shelf.filePath(ident), reason: "cannot move into place: \(String(cString: strerror(errno)))")
                }
                return shelf.record(ident, size: size, digests: digests, verifiedBy: fingerprint, source: url,
                                    insecure: policy.insecure)
            } catch {
                unlink(data)
                throw error
            }
        }
    }
}
