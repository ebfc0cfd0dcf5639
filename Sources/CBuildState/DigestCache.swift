import CBuildBasics
import Foundation
import GRDB

/// SHA-256 digests of files, remembered in the `file_digest` table so an
/// unchanged file — a multi-GB snapshot or a confdir of hundreds of small
/// files — is read once and afterwards only stat'ed.
///
/// An entry is used (a *hit*) only when both hold:
/// 1. the file's (device, inode, size, mtime ns, ctime ns) equal the
///    entry's — any write, rename-over, `touch` or chmod changes one of them;
/// 2. the racy-git rule: the entry's mtime is older than the moment its
///    content was hashed by more than `racyMarginNs` (10 ms). File times come
///    from the kernel's coarse clock, which lags the real clock by up to one
///    timer tick (1–10 ms for HZ 1000…100). A file modified again within that
///    tick after being hashed could keep the same mtime (and size); with the
///    margin, any later write gets an mtime strictly newer than the entry's,
///    so it is seen. The hash time is taken before the content is read.
/// An entry failing rule 2 is *racy*: the file is re-hashed, and the new
/// entry (with its later hash time) is stored, so the file becomes trusted
/// once it is old enough. File systems whose clock is not this machine's
/// (NFS) are outside this guarantee.
///
/// Counters partition lookups: `hits` (served from the cache), `misses`
/// (no entry, or the stat differed), `racyRehashes` (stat matched but the
/// entry was too young to trust).
///
/// New entries are buffered in memory and written by `flush()` in one
/// transaction; callers flush at the end of a command. Thread-safe.
public final class DigestCache: @unchecked Sendable {
    /// How much older than its hash time a file's mtime must be for the entry to be trusted.
    public static let racyMarginNs: Int64 = 10_000_000

    private let database: StateDatabase
    private let concurrency: Int
    /// Guards `known` and `pending`; lookups only read.
    private let lock = ReadWriteLock()
    /// Held while the stored entries are read (`loadAll`).
    private let loadLock = NSLock()
    /// Entries known for this run: loaded from the database or just computed,
    /// with the digest already parsed (a hit costs a stat and one locked
    /// dictionary read, nothing more).
    private var known: [String: Entry] = [:]
    /// Whether every stored entry has been read into `known`; set once,
    /// under `lock`, and read without it on every lookup.
    private let loadedAll = LoadedFlag()
    private var pending: [String: FileDigestRecord] = [:]
    /// Lookup outcomes since this cache was created.
    private let hitCount = LookupCounter(), missCount = LookupCounter(), racyCount = LookupCounter()

    private let racyMargin: Int64
    /// The build directory: paths under it are stored relative to it, so
    /// the table names no absolute path of this directory (a moved one
    /// keeps its entries; the stat check still decides whether they hold).
    private let rootPrefix: String?
    private let rootPrefixBytes: [UInt8]

    /// What a lookup compares: the stat data the digest was taken with.
    private typealias Entry = DigestIndex.Entry
    /// The stored entries as one sorted image (read once, never changed;
    /// see `DigestIndex`); nil when the database had none, and then the
    /// rows were read into `known` instead.
    private var index: DigestIndex?
    /// Whether `flush` must write the image even without new entries (it
    /// was missing or malformed).
    private var indexStale = false

    /// `racyMarginNs` is for tests that need a file to stay racy for longer.
    public init(database: StateDatabase, root: String? = nil, concurrency: Int = ParallelHasher.defaultConcurrency,
                racyMarginNs: Int64 = DigestCache.racyMarginNs) {
        self.database = database
        self.rootPrefix = root.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        self.rootPrefixBytes = rootPrefix.map { Array($0.utf8) } ?? []
        self.concurrency = concurrency
        self.racyMargin = racyMarginNs
    }

    public var hits: Int { hitCount.count }
    public var misses: Int { missCount.count }
    public var racyRehashes: Int { racyCount.count }
    /// Entries computed since the last flush.
    public var pendingCount: Int { lock.read { pending.count } }

    /// The SHA-256 of the file at `path` (symlinks followed; a relative path
    /// is taken from the current directory). Throws `BasicsError.io` naming the path.
    public func digest(of path: String) throws -> Digest {
        let absolute = Self.absolute(path)
        try loadAll()
        return try lookup(absolute)
    }

    /// Digests of many files, checked and hashed on all cores, in input
    /// order. Throws the first failure in input order, naming its file.
    public func digests(of paths: [String]) throws -> [Digest] {
        let absolute = paths.map(Self.absolute)
        var seen = Set<String>()
        let unique = absolute.filter { seen.insert($0).inserted }
        try loadAll()
        let results = ParallelHasher.map(unique, concurrency: concurrency) { [self] in try lookup($0) }
        var byPath: [String: Digest] = [:]
        for (path, result) in zip(unique, results) {
            switch result {
            case let .success(d): byPath[path] = d
            case let .failure(f): throw f.underlying
            }
        }
        return absolute.map { byPath[$0]! }
    }

    /// Records a digest computed elsewhere (a download hashed as it
    /// arrived) for the file as it is now. The racy-git rule applies as to
    /// any entry: it is trusted only while the file's mtime is older than
    /// this moment by more than the margin, so a file written just now is
    /// hashed once more next time (the cache installer dates its files to
    /// their build time, which keeps them out of that window).
    public func remember(_ digest: Digest, of path: String) {
        guard digest.algorithm == .sha256, let st = try? FileStat.of(Self.absolute(path), followSymlinks: true) else { return }
        let absolute = Self.absolute(path)
        let hashedAt = Self.nowNs()
        let record = FileDigestRecord(
            path: absolute, device: Int64(bitPattern: st.device), inode: Int64(bitPattern: st.inode),
            size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, sha256: digest.description, hashedAtNs: hashedAt)
        lock.write {
            known[absolute] = Entry(device: record.device, inode: record.inode, size: record.size, mtimeNs: record.mtimeNs,
                                    ctimeNs: record.ctimeNs, hashedAtNs: hashedAt, digest: digest)
            pending[absolute] = record
        }
    }

    /// Writes the entries computed since the last flush, and the image of
    /// all entries (`DigestIndex`), in one transaction.
    public func flush() throws {
        try loadAll()   // the image must hold the stored entries too
        let (batch, image) = lock.read { () -> ([FileDigestRecord], [UInt8]?) in
            let batch = Array(pending.values)
            guard !batch.isEmpty || indexStale else { return (batch, nil) }
            return (batch, indexImage())
        }
        guard let image else { return }
        try database.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO file_digest (path, device, inode, size, mtime_ns, ctime_ns, sha256, hashed_at_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in batch {
                try insert.execute(arguments: [storedPath(r.path), r.device, r.inode, r.size, r.mtimeNs, r.ctimeNs, r.sha256, r.hashedAtNs])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO digest_index (id, data) VALUES (1, ?)", arguments: [Data(image)])
        }
        lock.write {
            for record in batch where pending[record.path] == record { pending[record.path] = nil }
            indexStale = false
        }
    }

    /// The image of every entry: the stored image's, overridden by those
    /// known in this run (which hold all stored rows when there was no image).
    private func indexImage() -> [UInt8] {
        var entries: [(path: [UInt8], entry: Entry)] = known.map { (Array(storedPath($0.key).utf8), $0.value) }
        if let index { entries += index.all() }   // `encode` keeps the first of equal paths: this run's
        return DigestIndex.encode(entries)
    }

    // MARK: - Lookup

    private func lookup(_ path: String) throws -> Digest {
        let before = try FileStat.of(path, followSymlinks: true)
        let entry = lock.read { known[path] } ?? indexEntry(path)
        if let entry, entry.matches(before) {
            if entry.mtimeNs < entry.hashedAtNs - racyMargin {
                hitCount.increment()
                return entry.digest
            }
            racyCount.increment()
        } else {
            missCount.increment()
        }
        return try hash(path, stat: before)
    }

    /// The stored entry for an absolute path, from the image.
    private func indexEntry(_ path: String) -> Entry? {
        guard let index else { return nil }
        var p = path
        return p.withUTF8 { utf8 in
            let prefix = rootPrefixBytes
            if !prefix.isEmpty, utf8.count > prefix.count, memcmp(utf8.baseAddress!, prefix, prefix.count) == 0 {
                return index.entry(for: UnsafeBufferPointer(rebasing: utf8[prefix.count...]))
            }
            return index.entry(for: utf8)
        }
    }

    /// Reads the content; the entry is remembered only if the file did not
    /// change while it was read: the path's stat before opening equals the
    /// descriptor's after the last read (same inode, size and times).
    private func hash(_ path: String, stat first: FileStat) throws -> Digest {
        var before = first
        var attempt = 0
        while true {
            let hashedAt = Self.nowNs()
            let (digests, after) = try ContentHasher.digestFileAndStat(at: path, algorithms: [.sha256])
            let digest = digests[0]
            if after == before {
                let record = FileDigestRecord(
                    path: path, device: Int64(bitPattern: after.device), inode: Int64(bitPattern: after.inode),
                    size: after.size, mtimeNs: after.mtimeNs, ctimeNs: after.ctimeNs,
                    sha256: digest.description, hashedAtNs: hashedAt)
                lock.write {
                    known[path] = Entry(device: record.device, inode: record.inode, size: record.size, mtimeNs: record.mtimeNs,
                                        ctimeNs: record.ctimeNs, hashedAtNs: hashedAt, digest: digest)
                    pending[path] = record
                }
                return digest
            }
            // Changed under us: read again, and give up remembering it after a few tries.
            attempt += 1
            if attempt >= 3 { return digest }
            before = after
        }
    }

    /// Reads every stored entry into `known`, once. Other threads wait for
    /// it rather than miss (and re-hash) while it is being read.
    private func loadAll() throws {
        if loadedAll.isSet { return }
        loadLock.lock()
        defer { loadLock.unlock() }
        // One query for the whole table on first use: a command looks up
        // hundreds to thousands of files, and one statement costs far less
        // than one per file.
        // Rows whose digest does not parse are left out: a miss re-hashes the file.
        if !loadedAll.isSet {
            // The image first: one value, searched in place.
            let image = try database.read { db in
                try Data.fetchOne(db, sql: "SELECT data FROM digest_index WHERE id = 1").map { [UInt8]($0) }
            }
            if let image, let parsed = DigestIndex(image) {
                index = parsed
                loadedAll.set()
                return
            }
            indexStale = true
            var found: [String: Entry] = [:]
            try database.read { db in
                found.reserveCapacity(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM file_digest") ?? 0)
                // Stepped with SQLite's C API (`RawRows`): GRDB's generic `Row`
                // was most of this read's cost for ~10,000 rows. Only a
                // database without a usable image (older, or damaged) gets here.
                try RawRows.each(db, "SELECT path, device, inode, size, mtime_ns, ctime_ns, sha256, hashed_at_ns FROM file_digest") { row in
                    guard let pathText = row.utf8(0), !pathText.isEmpty, let digestText = row.utf8(6),
                          let digest = Self.parseSHA256(digestText) else { return }
                    var path = String(decoding: pathText, as: UTF8.self)
                    if pathText[0] != UInt8(ascii: "/") {
                        guard let rootPrefix else { return }
                        path = rootPrefix + path
                    }
                    found[path] = Entry(device: row.int64(1), inode: row.int64(2), size: row.int64(3), mtimeNs: row.int64(4),
                                        ctimeNs: row.int64(5), hashedAtNs: row.int64(7), digest: digest)
                }
            }
            lock.write {
                if known.isEmpty {
                    known = found
                } else {
                    known.merge(found) { mine, _ in mine }
                }
            }
            loadedAll.set()
        }
    }

    /// Parses the stored `sha256:<64 hex>` straight from its UTF-8 bytes
    /// (`Digest(tagged:)` makes three intermediate copies).
    static func parseSHA256(_ tagged: String) -> Digest? {
        var text = tagged
        return text.withUTF8 { parseSHA256($0) }
    }

    /// The same, from a column's bytes as SQLite hands them out.
    static func parseSHA256(_ utf8: UnsafeBufferPointer<UInt8>) -> Digest? {
        let prefix = 7   // "sha256:"
        guard utf8.count == prefix + 64, utf8.starts(with: "sha256:".utf8) else { return nil }
        var valid = true
        let bytes = [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            for i in 0..<32 {
                guard let hi = nibble(utf8[prefix + 2 * i]), let lo = nibble(utf8[prefix + 2 * i + 1]) else {
                    valid = false; count = i; return
                }
                buffer[i] = hi << 4 | lo
            }
            count = 32
        }
        return valid ? Digest(algorithm: .sha256, bytes: bytes) : nil
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// How a path is stored: relative when it is under the build directory.
    private func storedPath(_ absolute: String) -> String {
        guard let rootPrefix, absolute.hasPrefix(rootPrefix) else { return absolute }
        return String(absolute.dropFirst(rootPrefix.count))
    }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    private static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

extension TreeHasher {
    /// A tree hasher whose file contents come through the digest cache.
    public init(cache: DigestCache) {
        self.init(fileDigests: { try cache.digests(of: $0) })
    }
}
