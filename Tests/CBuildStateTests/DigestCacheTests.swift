import Testing
import Foundation
import GRDB
@testable import CBuildState
import CBuildBasics
import CBuildTestSupport

/// The digest cache reads a file once, sees every change, and honours the racy-git rule.
@Suite struct DigestCacheTests {
    /// A build directory's state database on disk, as cbuild opens it.
    private func openDatabase(_ dir: TemporaryDirectory) throws -> StateDatabase {
        try StateDatabase.open(at: dir.path + "/.cache/state.db").0
    }

    /// Sets a file's mtime (and atime) `secondsAgo` into the past, keeping
    /// the nanoseconds given; ctime becomes now, as the kernel always does.
    private func setMtime(_ path: String, seconds: Int, nanoseconds: Int = 0) {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    private func ageOneHour(_ path: String) {
        setMtime(path, seconds: Int(Date().timeIntervalSince1970) - 3600, nanoseconds: 500)
    }

    private func sha256sum(_ path: String) throws -> String {
        let r = try SystemProcessRunner().run(["sha256sum", path])
        return String(r.stdoutString.prefix(64))
    }

    private func rowCount(_ db: StateDatabase) throws -> Int {
        try db.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM file_digest") ?? -1 }
    }

    @Test func aRememberedDigestIsTrustedNextTimeWithoutReadingTheFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try openDatabase(dir)
        let old = try dir.write("artifacts/builds/old.tar.xz", "a stage fetched from the cache\n")
        ageOneHour(old)
        let fresh = try dir.write("artifacts/builds/fresh.tar.xz", "written this very moment\n")
        // A digest the files do not have: getting it back proves the file was not read.
        let told = try #require(Digest(tagged: "sha256:" + String(repeating: "ab", count: 32)))
        let cache = DigestCache(database: db)
        cache.remember(told, of: old)
        cache.remember(told, of: fresh)
        try cache.flush()

        let later = DigestCache(database: try openDatabase(dir))
        #expect(try later.digest(of: old) == told)
        #expect((later.hits, later.misses, later.racyRehashes) == (1, 0, 0))
        // A file modified within the racy margin of being remembered is read.
        #expect(try later.digest(of: fresh).hex == (try sha256sum(fresh)))
        #expect(later.racyRehashes == 1)
        // A change after remembering is seen as for any entry.
        _ = try dir.write("artifacts/builds/old.tar.xz", "replaced by hand\n")
        ageOneHour(old)
        #expect(try DigestCache(database: try openDatabase(dir)).digest(of: old).hex == (try sha256sum(old)))
    }

    @Test func secondLookupIsAHitAndSurvivesAFlush() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try openDatabase(dir)
        let file = try dir.write("specs/stage4.spec", "subarch: amd64\ntarget: stage4\n")
        ageOneHour(file)

        let cache = DigestCache(database: db)
        let first = try cache.digest(of: file)
        #expect(first.algorithm == .sha256)
        #expect(first.hex == (try sha256sum(file)))
        #expect((cache.hits, cache.misses, cache.racyRehashes) == (0, 1, 0))
        #expect(try cache.digest(of: file) == first)
        #expect((cache.hits, cache.misses, cache.racyRehashes) == (1, 1, 0))

        // Nothing reaches the database before flush; flush writes the entry.
        #expect(try rowCount(db) == 0)
        #expect(cache.pendingCount == 1)
        try cache.flush()
        #expect(try rowCount(db) == 1)
        #expect(cache.pendingCount == 0)

        // A later command (a new cache on a reopened database) only stats the file.
        let reopened = try openDatabase(dir)
        let later = DigestCache(database: reopened)
        #expect(try later.digest(of: file) == first)
        #expect((later.hits, later.misses) == (1, 0))
        let row = try reopened.writer.read { try FileDigestRecord.fetchOne($0, key: file) }
        #expect(row?.sha256 == first.description)
        #expect(row?.mtimeNs == (try FileStat.of(file)).mtimeNs)
    }

    /// Stored rows are read straight from SQLite's columns: a row whose
    /// digest does not parse is a miss (the file is hashed again), the rows
    /// beside it still serve hits, and uppercase hex is accepted.
    @Test func damagedStoredRowsAreMissesAndTheRestStillLoad() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = try dir.write("portage/good", "kept\n")
        let upper = try dir.write("portage/upper", "shouted\n")
        let bad = try dir.write("portage/bad", "damaged row\n")
        for f in [good, upper, bad] { ageOneHour(f) }
        let cache = DigestCache(database: try openDatabase(dir))
        let digests = try cache.digests(of: [good, upper, bad])
        try cache.flush()
        let db = try openDatabase(dir)
        try db.writer.write { db in
            // Without the image (a database from before it existed) the rows are read.
            try db.execute(sql: "DELETE FROM digest_index")
            try db.execute(sql: "UPDATE file_digest SET sha256 = ? WHERE path = ?", arguments: ["sha256:" + digests[1].hex.uppercased(), upper])
            try db.execute(sql: "UPDATE file_digest SET sha256 = 'sha256:not-hex' WHERE path = ?", arguments: [bad])
        }
        let later = DigestCache(database: db)
        #expect(try later.digests(of: [good, upper, bad]) == digests)
        #expect((later.hits, later.misses, later.racyRehashes) == (2, 1, 0))
    }

    /// Issue #15: a later command reads the entries as one image, not row
    /// by row; the image holds every entry, this run's newest, and a
    /// missing or malformed image is rebuilt from the rows.
    @Test func aLaterCommandReadsTheImageAndADamagedImageIsRebuiltFromTheRows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try (0..<40).map { try dir.write("confdir/f\($0)", "value \($0)\n") }
        for f in files { ageOneHour(f) }
        let first = DigestCache(database: try openDatabase(dir), root: dir.path)
        let digests = try first.digests(of: files)
        try first.flush()
        func image(_ db: StateDatabase) throws -> [UInt8]? {
            try db.writer.read { try Data.fetchOne($0, sql: "SELECT data FROM digest_index WHERE id = 1").map { [UInt8]($0) } }
        }
        let db = try openDatabase(dir)
        #expect(try image(db).flatMap(DigestIndex.init)?.count == 40)
        #expect(try !String(decoding: image(db) ?? [], as: UTF8.self).contains(dir.path), "the image stores relative paths")

        // Rows gone, image kept: every lookup is still a hit, so the image is what is read.
        try db.writer.write { try $0.execute(sql: "DELETE FROM file_digest") }
        let later = DigestCache(database: db, root: dir.path)
        #expect(try later.digests(of: files) == digests)
        #expect((later.hits, later.misses) == (40, 0))

        // A changed file: its new entry wins in the next image, the others stay.
        _ = try dir.write("confdir/f3", "changed\n")
        ageOneHour(files[3])
        #expect(try later.digest(of: files[3]) != digests[3])
        try later.flush()
        let third = DigestCache(database: try openDatabase(dir), root: dir.path)
        #expect(try third.digest(of: files[3]).hex == (try sha256sum(files[3])))
        #expect(try third.digest(of: files[4]) == digests[4])
        #expect((third.hits, third.misses) == (2, 0))

        // A malformed image is not used: the rows are read and the next flush
        // writes a whole image again, even with nothing new to remember.
        for damage in ["truncate", "magic", "order"] {
            try db.writer.write { db in
                let data = try Data.fetchOne(db, sql: "SELECT data FROM digest_index WHERE id = 1").map { [UInt8]($0) } ?? []
                var bad = data
                switch damage {
                case "truncate": bad = Array(data.prefix(data.count / 2 - 7))
                case "magic": bad[0] = UInt8(ascii: "X")
                default:   // swap the first two records: out of order
                    let r = DigestIndex.recordSize, h = DigestIndex.headerSize
                    let a = Array(bad[h..<(h + r)]); bad[h..<(h + r)] = bad[(h + r)..<(h + 2 * r)]; bad[(h + r)..<(h + 2 * r)] = a[...]
                }
                #expect(DigestIndex(bad) == nil, "\(damage)")
                try db.execute(sql: "UPDATE digest_index SET data = ? WHERE id = 1", arguments: [Data(bad)])
                try db.execute(sql: "DELETE FROM file_digest WHERE path = 'confdir/f4'")
            }
            // Only f3 has a row (the others were deleted above): a hit for it
            // and a miss for f4 show the rows, not the image, were read.
            let fromRows = DigestCache(database: try openDatabase(dir), root: dir.path)
            #expect(try fromRows.digest(of: files[3]).hex == (try sha256sum(files[3])), "\(damage)")
            #expect(try fromRows.digest(of: files[4]) == digests[4], "\(damage)")
            #expect((fromRows.hits, fromRows.misses) == (1, 1), "\(damage)")
            try fromRows.flush()
            let rewritten = try image(try openDatabase(dir)).flatMap(DigestIndex.init)
            #expect(rewritten?.count == 2, "\(damage): rewritten from the rows and this run's entries")
        }
    }

    /// Binary search over the image finds every stored path and nothing
    /// else, including paths that are prefixes of one another.
    @Test func theImageFindsExactlyTheStoredPaths() throws {
        var rng = SeededGenerator(seed: 15)
        let alphabet = Array("ab/.é0".utf8)
        var paths = Set<[UInt8]>()
        while paths.count < 500 { paths.insert((0..<(1 + Int(rng.next() % 12))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }) }
        let stored = Array(paths.prefix(300)), absent = Array(paths.dropFirst(300))
        let entries = stored.enumerated().map { i, p in
            (path: p, entry: DigestIndex.Entry(device: 1, inode: Int64(i), size: 2, mtimeNs: 3, ctimeNs: 4, hashedAtNs: 5,
                                                digest: ContentHasher.digest(.sha256, String(i))))
        }
        let index = try #require(DigestIndex(DigestIndex.encode(entries.shuffled())))
        #expect(index.count == 300)
        for e in entries { #expect(e.path.withUnsafeBufferPointer { index.entry(for: $0) } == e.entry) }
        for p in absent { #expect(p.withUnsafeBufferPointer { index.entry(for: $0) } == nil) }
    }

    @Test func sameSizeRewriteWithRestoredMtimeIsSeen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = DigestCache(database: try openDatabase(dir))
        let file = try dir.write("kernel/config", "CONFIG_A=y\n")
        ageOneHour(file)
        let old = try FileStat.of(file)
        let before = try cache.digest(of: file)

        // Same length, mtime put back to the exact nanosecond: only ctime tells.
        try "CONFIG_B=y\n".write(toFile: file, atomically: false, encoding: .utf8)
        setMtime(file, seconds: Int(old.mtimeNs / 1_000_000_000), nanoseconds: Int(old.mtimeNs % 1_000_000_000))
        let now = try FileStat.of(file)
        #expect(now.size == old.size && now.mtimeNs == old.mtimeNs && now.inode == old.inode)
        #expect(now.ctimeNs != old.ctimeNs)

        let after = try cache.digest(of: file)
        #expect(after != before)
        #expect(after.hex == (try sha256sum(file)))
        #expect((cache.hits, cache.misses) == (0, 2))
    }

    @Test func replacedAndRepointedFilesAreSeen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = DigestCache(database: try openDatabase(dir))
        let a = try dir.write("a", "same size A"), b = try dir.write("b", "same size B")
        ageOneHour(a); ageOneHour(b)
        let link = dir.path + "/current"
        #expect(symlink("a", link) == 0)
        #expect(try cache.digest(of: link) == ContentHasher.digest(.sha256, "same size A"))
        // The role-style symlink moves to another file: a different inode.
        #expect(unlink(link) == 0 && symlink("b", link) == 0)
        #expect(try cache.digest(of: link) == ContentHasher.digest(.sha256, "same size B"))
        // A file renamed over the original: another inode at the same path.
        #expect(rename(b, a) == 0)
        #expect(try cache.digest(of: a) == ContentHasher.digest(.sha256, "same size B"))
        #expect(cache.hits == 0)
    }

    /// The racy-git rule. A one-minute margin makes "written just now"
    /// certain however slow the machine is; production uses 10 ms.
    @Test func racyFileIsRehashedUntilItIsOldEnough() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try openDatabase(dir)
        let cache = DigestCache(database: db, racyMarginNs: 60_000_000_000)
        let file = try dir.write("overlay/etc/motd", "welcome\n")

        let d1 = try cache.digest(of: file)
        #expect((cache.hits, cache.misses, cache.racyRehashes) == (0, 1, 0))
        let d2 = try cache.digest(of: file)
        #expect(d2 == d1)
        #expect((cache.hits, cache.misses, cache.racyRehashes) == (0, 1, 1), "a file written just now is not trusted")

        // The racy entry is stored, and stays untrusted for the next command.
        try cache.flush()
        #expect(try rowCount(db) == 1)
        let next = DigestCache(database: db, racyMarginNs: 60_000_000_000)
        #expect(try next.digest(of: file) == d1)
        #expect(next.racyRehashes == 1 && next.hits == 0)

        // Once its mtime is old, the file is hashed once more (its ctime
        // changed) and trusted from then on.
        ageOneHour(file)
        #expect(try next.digest(of: file) == d1)
        #expect(next.misses == 1)
        #expect(try next.digest(of: file) == d1)
        #expect(next.hits == 1)
    }

    @Test func defaultMarginTrustsOldFilesOnly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = DigestCache(database: try openDatabase(dir))
        #expect(DigestCache.racyMarginNs == 10_000_000)
        let future = try dir.write("future", "clock skew\n")
        // An mtime ahead of the clock (skew, or written in the same tick) is never trusted.
        setMtime(future, seconds: Int(Date().timeIntervalSince1970) + 3600)
        _ = try cache.digest(of: future)
        _ = try cache.digest(of: future)
        #expect((cache.hits, cache.racyRehashes) == (0, 1))
    }

    @Test func manyFilesInParallelInInputOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try openDatabase(dir)
        let cache = DigestCache(database: db)
        let files = try (0..<64).map { i in try dir.write("tree/f\(i)", String(repeating: "x", count: i * 97) + "\(i)") }
        for f in files { ageOneHour(f) }
        let asked = files.reversed() + files.prefix(3)   // duplicates are hashed once
        let expected = try asked.map { try ContentHasher.digestFile(at: $0) }

        #expect(try cache.digests(of: Array(asked)) == expected)
        #expect((cache.hits, cache.misses) == (0, 64))
        #expect(try cache.digests(of: Array(asked)) == expected)
        #expect((cache.hits, cache.misses) == (64, 64))
        try cache.flush()
        #expect(try rowCount(db) == 64)

        let later = DigestCache(database: db)
        #expect(try later.digests(of: files) == files.map { try! ContentHasher.digestFile(at: $0) })
        #expect((later.hits, later.misses) == (64, 0))
    }

    @Test func relativePathsAreTakenFromTheCurrentDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = DigestCache(database: try openDatabase(dir))
        let cwd = FileManager.default.currentDirectoryPath
        // Package.swift exists where `swift test` runs; compare with its absolute path.
        guard FileManager.default.fileExists(atPath: cwd + "/Package.swift") else { return }
        #expect(try cache.digest(of: "Package.swift") == (try ContentHasher.digestFile(at: cwd + "/Package.swift")))
    }

    @Test func missingFileFailsNamingIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = DigestCache(database: try openDatabase(dir))
        let ok = try dir.write("ok", "1")
        let missing = dir.path + "/missing"
        #expect {
            try cache.digests(of: [ok, missing])
        } throws: { error in
            guard case let BasicsError.io(path, _, code) = error else { return false }
            return path == missing && code == ENOENT
        }
        #expect(throws: BasicsError.self) { try cache.digest(of: dir.path) }
    }

    @Test func treeHashingThroughTheCache() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = DigestCache(database: try StateDatabase())
        try dir.write("portage/package.use/ssh", "net-misc/openssh -kerberos\n")
        try dir.write("portage/make.conf", "USE=\"-X\"\n")
        ageOneHour(dir.path + "/portage/package.use/ssh")
        ageOneHour(dir.path + "/portage/make.conf")

        let hasher = TreeHasher(cache: cache)
        let first = try hasher.hash(dir.path + "/portage")
        #expect(first == (try TreeHasher().hash(dir.path + "/portage")))
        #expect(cache.misses == 2)
        #expect(try hasher.hash(dir.path + "/portage").digest == first.digest)
        #expect(cache.hits == 2)
    }
}
