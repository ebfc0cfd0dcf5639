import CBuildBasics
import CBuildState
import Foundation

/// One directory of verified, dated files of one kind — the snapshots of a
/// flavour, or one seed's stages — and the role symlinks pointing into it.
/// Everything both stores share lives here: reading and moving roles
/// (atomically, recorded in the role history and cbuild.lock), list,
/// promote, rollback, prune, verify and resolve.
///
/// Names: a dated file is `filePrefix + ident + fileSuffix`; a role link is
/// `linkPrefix + role + linkSuffix`, a relative symlink to the dated file.
/// The role links on disk are the truth (they are what catalyst reads); the
/// database keeps their history and the files' verification records.
struct ArtifactShelf: Sendable {
    let root: String
    /// Relative to `root`, e.g. `artifacts/snapshots`.
    let directory: String
    let kind: String
    let name: String
    let filePrefix: String
    let fileSuffix: String
    let linkPrefix: String
    let linkSuffix: String
    let isValidIdent: @Sendable (String) -> Bool
    /// Seeds: the mirror path marker (`/releases/<arch>/autobuilds/`) that
    /// precedes a stage's `source` path in its download URL.
    let sourceMarker: String?
    let database: StateDatabase
    let events: EventSink
    let now: @Sendable () -> Date
    let actor: String

    var directoryPath: String { root + "/" + directory }
    var lockPath: String { root + "/" + LockFile.fileName }

    func fileName(_ ident: String) -> String { filePrefix + ident + fileSuffix }
    func filePath(_ ident: String) -> String { directoryPath + "/" + fileName(ident) }
    func relativePath(_ ident: String) -> String { directory + "/" + fileName(ident) }
    func linkName(_ role: String) -> String { linkPrefix + role + linkSuffix }
    func linkPath(_ role: String) -> String { directoryPath + "/" + linkName(role) }

    func ident(ofFile file: String) -> String? {
        guard file.hasPrefix(filePrefix), file.hasSuffix(fileSuffix),
              file.count > filePrefix.count + fileSuffix.count else { return nil }
        let ident = String(file.dropFirst(filePrefix.count).dropLast(fileSuffix.count))
        return isValidIdent(ident) ? ident : nil
    }

    func role(ofLink link: String) -> String? {
        guard link.hasPrefix(linkPrefix), link.hasSuffix(linkSuffix),
              link.count > linkPrefix.count + linkSuffix.count else { return nil }
        let role = String(link.dropFirst(linkPrefix.count).dropLast(linkSuffix.count))
        return RoleName.isValid(role) ? role : nil
    }

    private func subject(_ ident: String? = nil) -> String {
        (name.isEmpty ? kind : "\(kind) '\(name)'") + (ident.map { " \($0)" } ?? "")
    }

    // MARK: reading the directory

    /// Dated files present (regular files only), newest first.
    func datedFiles() -> [(ident: String, file: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directoryPath) else { return [] }
        var out: [(String, String)] = []
        for file in names {
            guard let ident = ident(ofFile: file) else { continue }
            var st = stat()
            guard lstat(directoryPath + "/" + file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out.append((ident, file))
        }
        return out.sorted { $0.0 > $1.0 }
    }

    /// Role → ident for every role link that leads to an existing dated file of this shelf.
    func roles() -> [String: String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directoryPath) else { return [:] }
        var out: [String: String] = [:]
        for link in names {
            guard let role = role(ofLink: link), let ident = try? current(role) else { continue }
            out[role] = ident
        }
        return out
    }

    /// The ident `role` points at; nil when the link is absent or dangling.
    /// A regular file where the link should be is an error, never overwritten.
    func current(_ role: String) throws -> String? {
        let path = linkPath(role)
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        guard (st.st_mode & S_IFMT) == S_IFLNK else {
            throw ArtifactError.roleLinkBroken(path: relative(path), reason: "expected a role symlink, found a regular file")
        }
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return nil }
        guard !target.contains("/"), let ident = ident(ofFile: target) else { return nil }
        return FileManager.default.fileExists(atPath: filePath(ident)) ? ident : nil
    }

    private func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    /// Points `role` at `ident` with a relative symlink, replaced atomically (rename over the old link).
    func setLink(_ role: String, to ident: String) throws {
        _ = try current(role) // refuses to replace a regular file
        let link = linkPath(role)
        let temp = directoryPath + "/.\(linkName(role)).tmp-\(getpid())"
        unlink(temp)
        guard symlink(fileName(ident), temp) == 0 else {
            throw ArtifactError.io(path: relative(link), reason: "cannot create symlink: \(String(cString: strerror(errno)))")
        }
        guard rename(temp, link) == 0 else {
            let e = errno
            unlink(temp)
            throw ArtifactError.io(path: relative(link), reason: "cannot replace symlink: \(String(cString: strerror(e)))")
        }
    }

    func ensureDirectory() throws {
        do {
            try FileManager.default.createDirectory(atPath: directoryPath, withIntermediateDirectories: true)
        } catch {
            throw ArtifactError.io(path: directory, reason: "cannot create directory: \(error)")
        }
    }

    // MARK: digests

    static let recordedAlgorithms: [Digest.Algorithm] = [.sha256, .sha512, .blake2b512]

    /// The record of `ident`'s file when it is trustworthy without re-reading
    /// the file: same size, and not modified since it was verified.
    func trustedRecord(_ ident: String) -> ArtifactRecord? {
        guard let record = try? database.artifact(path: relativePath(ident)) else { return nil }
        var st = stat()
        guard stat(filePath(ident), &st) == 0, Int64(st.st_size) == record.size else { return nil }
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        let ctime = Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9
        return max(mtime, ctime) < record.verifiedAt.timeIntervalSince1970 ? record : nil
    }

    /// sha256, sha512 and blake2b of `ident`'s file: from a trusted record, else read in one pass.
    func digests(_ ident: String) throws -> (size: Int64, digests: [Digest]) {
        if let r = trustedRecord(ident), let d = Self.digests(of: r) { return (r.size, d) }
        let path = filePath(ident)
        do {
            let digests = try ContentHasher.digestFile(at: path, algorithms: Self.recordedAlgorithms)
            return (Downloader.size(of: path) ?? 0, digests)
        } catch {
            throw ArtifactError.io(path: relativePath(ident), reason: "\(error)")
        }
    }

    static func digests(of record: ArtifactRecord) -> [Digest]? {
        guard let a = Digest(tagged: record.sha256), let b = record.sha512.flatMap(Digest.init(tagged:)),
              let c = record.blake2b.flatMap(Digest.init(tagged:)) else { return nil }
        return [a, b, c]
    }

    /// Whether `ident`'s file still holds the bytes that were verified: a
    /// stat when the file was not touched since, a re-hash otherwise.
    func integrity(_ ident: String) -> VerifyResult.Status {
        guard let record = try? database.artifact(path: relativePath(ident)) else { return .unrecorded }
        if trustedRecord(ident) != nil { return .intact }
        guard let size = Downloader.size(of: filePath(ident)) else { return .missing }
        if size != record.size { return .modified("size is \(size) bytes, \(record.size) recorded") }
        guard let d = try? ContentHasher.digestFile(at: filePath(ident), .sha256) else { return .missing }
        if d.description == record.sha256 { return .intact }
        return .modified("SHA-256 is \(d.shortHex(16))…, \(record.sha256.dropFirst(7).prefix(16))… recorded")
    }

    /// The record for `ident` when its file is present and its content still matches (re-hashed).
    func intactRecord(_ ident: String) -> ArtifactRecord? {
        guard let record = try? database.artifact(path: relativePath(ident)),
              Downloader.size(of: filePath(ident)) == record.size,
              let actual = try? ContentHasher.digestFile(at: filePath(ident), .sha256) else { return nil }
        return actual.description == record.sha256 ? record : nil
    }

    /// A record for a file that just passed verification at `path` (already in place).
    func record(_ ident: String, size: Int64, digests: [Digest], verifiedBy: String?, source: String?,
                insecure: Bool) -> ArtifactRecord {
        func tagged(_ alg: Digest.Algorithm) -> String? { digests.first { $0.algorithm == alg }?.description }
        return ArtifactRecord(path: relativePath(ident), kind: kind, name: name, ident: ident, size: size,
                              sha256: tagged(.sha256)!, sha512: tagged(.sha512), blake2b: tagged(.blake2b512),
                              verifiedAt: now(), verifiedBy: verifiedBy, source: source, insecure: insecure)
    }

    // MARK: moving roles

    /// Points `role` at `ident`: the link, then the artifact record and the
    /// role move in one transaction, then cbuild.lock. `artifact` is the
    /// record of a file verified just now, nil when it was already recorded.
    @discardableResult
    func moveRole(_ role: String, to ident: String, reason: String, note: String?,
                  artifact: ArtifactRecord?, source: String? = nil) throws -> RoleMove {
        let old = try current(role)
        try setLink(role, to: ident)
        let move = old == ident ? nil : RoleMoveRecord(kind: kind, name: name, role: role, oldValue: old, newValue: ident,
                                                       reason: reason, actor: actor, at: now(), note: note)
        if artifact != nil || move != nil {
            try database.recordArtifact(artifact, roleMove: move)
        }
        try updateLock(role: role, ident: ident, source: source, artifact: artifact)
        return RoleMove(kind: kind, name: name, role: role, from: old, to: ident, reason: reason)
    }

    /// Writes `role`'s entry into cbuild.lock (other entries untouched).
    private func updateLock(role: String, ident: String, source: String?, artifact: ArtifactRecord?) throws {
        var lock = try LockFile.read(at: lockPath)
        let (size, digests) = try artifact.flatMap { a in Self.digests(of: a).map { (a.size, $0) } } ?? self.digests(ident)
        func hex(_ alg: Digest.Algorithm) -> String { digests.first { $0.algorithm == alg }!.hex }
        var entry = LockFile.Entry(ident: ident, file: fileName(ident), size: size, sha256: hex(.sha256),
                                   sha512: hex(.sha512), blake2b: hex(.blake2b512))
        if kind == "seed" {
            entry.source = source ?? lockedSource(lock, ident: ident) ?? sourceFromRecord(ident) ?? "\(ident)/\(fileName(ident))"
            lock.seeds[name, default: [:]][role] = entry
        } else {
            lock.snapshots[role] = entry
        }
        try lock.write(to: lockPath)
    }

    private func lockedSource(_ lock: LockFile, ident: String) -> String? {
        lock.seeds[name]?.values.first { $0.ident == ident }?.source
    }

    private func sourceFromRecord(_ ident: String) -> String? {
        guard let marker = sourceMarker, let url = (try? database.artifact(path: relativePath(ident)))?.source,
              let range = url.range(of: marker) else { return nil }
        let tail = String(url[range.upperBound...])
        return tail.removingPercentEncoding ?? tail
    }

    /// The idents cbuild.lock pins for this shelf.
    func lockedIdents() throws -> Set<String> {
        let lock = try LockFile.read(at: lockPath)
        let entries = kind == "seed" ? Array((lock.seeds[name] ?? [:]).values) : Array(lock.snapshots.values)
        return Set(entries.map(\.ident))
    }

    // MARK: operations

    func list() throws -> [ArtifactInfo] {
        let roles = roles()
        var byIdent: [String: [String]] = [:]
        for (role, ident) in roles { byIdent[ident, default: []].append(role) }
        return try datedFiles().map { ident, file in
            let record = try database.artifact(path: relativePath(ident))
            return ArtifactInfo(kind: kind, name: name, ident: ident, file: file, path: filePath(ident),
                                size: Downloader.size(of: filePath(ident)) ?? 0, verifiedAt: record?.verifiedAt,
                                verifiedBy: record?.verifiedBy, insecure: record?.insecure ?? false,
                                recorded: record != nil, roles: (byIdent[ident] ?? []).sorted(),
                                modified: record != nil && integrity(ident) != .intact)
        }
    }

    /// Moves `role` forward to `ident`; an older ident is refused (that is a rollback).
    func promote(_ role: String, to ident: String) throws -> RoleMove {
        try RoleName.validate(role)
        guard isValidIdent(ident) else { throw ArtifactError.invalidDate(ident) }
        try requirePresent(ident)
        if let old = try current(role), ident < old {
            throw ArtifactError.wouldMoveBackwards(kind: kind, name: name, role: role, from: old, to: ident)
        }
        return try moveRole(role, to: ident, reason: "promote", note: nil, artifact: nil)
    }

    /// Moves `role` back: to `ident`, or to the value it had before its last
    /// forward move (so repeated rollbacks walk back through the history).
    func rollback(_ role: String, to ident: String?) throws -> RoleMove {
        try RoleName.validate(role)
        guard let old = try current(role) else { throw ArtifactError.roleUnset(kind: kind, name: name, role: role) }
        let target: String
        if let ident {
            guard isValidIdent(ident) else { throw ArtifactError.invalidDate(ident) }
            if ident > old { throw ArtifactError.rollbackForward(kind: kind, name: name, role: role, from: old, to: ident) }
            target = ident
        } else {
            let history = try database.roleHistory(kind: kind, name: name, role: role)
            guard let forward = history.first(where: { $0.newValue == old && $0.reason != "rollback" }),
                  let previous = forward.oldValue else {
                throw ArtifactError.noEarlierValue(kind: kind, name: name, role: role)
            }
            target = previous
        }
        try requirePresent(target)
        return try moveRole(role, to: target, reason: "rollback", note: nil, artifact: nil)
    }

    private func requirePresent(_ ident: String) throws {
        guard FileManager.default.fileExists(atPath: filePath(ident)) else {
            throw ArtifactError.notFetched(kind: kind, name: name, ident: ident)
        }
    }

    /// Removes dated files beyond the `keep` newest, except those a role,
    /// cbuild.lock or `protecting` (idents or file names) uses. Returns what
    /// was (or, with `dryRun`, would be) removed.
    func prune(keep: Int, protecting: Set<String>, dryRun: Bool) throws -> [ArtifactInfo] {
        let used = Set(roles().values).union(try lockedIdents())
        let infos = try list()
        var removed: [ArtifactInfo] = []
        for (index, info) in infos.enumerated() {
            if index < keep || used.contains(info.ident) || protecting.contains(info.ident) || protecting.contains(info.file) {
                continue
            }
            removed.append(info)
        }
        if !dryRun {
            for info in removed where unlink(info.path) != 0 && errno != ENOENT {
                throw ArtifactError.io(path: relativePath(info.ident), reason: "cannot remove: \(String(cString: strerror(errno)))")
            }
            try database.deleteArtifacts(paths: removed.map { relativePath($0.ident) })
        }
        return removed
    }

    /// Re-hashes every stored file against its record.
    func verify() throws -> [VerifyResult] {
        var results: [VerifyResult] = []
        var seen = Set<String>()
        for (ident, file) in datedFiles() {
            seen.insert(ident)
            guard let record = try database.artifact(path: relativePath(ident)) else {
                results.append(VerifyResult(kind: kind, name: name, ident: ident, file: file, status: .unrecorded))
                continue
            }
            let path = filePath(ident)
            let size = Downloader.size(of: path) ?? -1
            if size != record.size {
                results.append(VerifyResult(kind: kind, name: name, ident: ident, file: file,
                                            status: .modified("size is \(size) bytes, \(record.size) recorded")))
                continue
            }
            let expected = Self.digests(of: record) ?? [Digest(tagged: record.sha256)].compactMap { $0 }
            let actual: [Digest]
            do {
                actual = try ContentHasher.digestFile(at: path, algorithms: expected.map(\.algorithm))
            } catch {
                throw ArtifactError.io(path: relativePath(ident), reason: "\(error)")
            }
            let bad = zip(expected, actual).first { $0 != $1 }
            let status: VerifyResult.Status = bad.map {
                .modified("\($0.0.algorithm.rawValue.uppercased()) is \($0.1.shortHex(16))…, \($0.0.shortHex(16))… recorded")
            } ?? .intact
            results.append(VerifyResult(kind: kind, name: name, ident: ident, file: file, status: status))
        }
        for record in try database.artifacts(kind: kind, name: name) where !seen.contains(record.ident) {
            // Only records of this shelf's naming (a flavour-3 store ignores flavour-4 records).
            guard record.path == relativePath(record.ident) else { continue }
            results.append(VerifyResult(kind: kind, name: name, ident: record.ident, file: fileName(record.ident), status: .missing))
        }
        return results.sorted { $0.ident > $1.ident }
    }

    func resolve(_ role: String) throws -> ResolvedArtifact {
        try RoleName.validate(role)
        guard let ident = try current(role) else { throw ArtifactError.roleUnset(kind: kind, name: name, role: role) }
        let sha256: Digest
        let size: Int64
        if let r = trustedRecord(ident), let d = Digest(tagged: r.sha256) {
            sha256 = d
            size = r.size
        } else {
            do { sha256 = try ContentHasher.digestFile(at: filePath(ident), .sha256) } catch {
                throw ArtifactError.io(path: relativePath(ident), reason: "\(error)")
            }
            size = Downloader.size(of: filePath(ident)) ?? 0
        }
        return ResolvedArtifact(kind: kind, name: name, role: role, ident: ident, path: filePath(ident),
                                fileName: fileName(ident), size: size, sha256: sha256)
    }
}
