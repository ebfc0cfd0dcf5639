import CBuildBasics
import Foundation
import GRDB

/// The one owner of `.cache/state.db`: opens it in WAL mode, runs the
/// append-only migrations, and exposes named operations that each run in a
/// single transaction. The database is a cache of facts that can be
/// re-derived: a missing or corrupt file is moved aside and rebuilt.
///
/// Schema (versions 1–3, see `Migrations.swift`):
/// - `node_build`: one row per attempt to bring a node up to date (built,
///   reused, failed, interrupted), with its key, per-input hashes (JSON),
///   output hashes (JSON), times, duration and log path.
/// - `node_current`: node name → the `node_build` row whose outputs are current.
/// - `file_digest`: the digest cache keyed by path and validated by
///   (device, inode, size, mtime ns, ctime ns) plus the racy-git rule.
/// - `role_history`: every move of a snapshot or seed role.
/// - `artifact`: verified downloads (snapshot/seed files) and how they were verified.
/// - `meta`: small key/value facts (e.g. the build directory path last rendered).
/// - `package_manifest`: a stage tarball's installed packages (JSON), by the
///   tarball's SHA-256 and the reader's version.
/// - `snapshot_advisories`: a snapshot's GLSAs, skipped files and offered
///   versions (JSON), by the snapshot's SHA-256 and the reader's version.
public final class StateDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// Where the database file lives, or nil for an in-memory database.
    public let path: String?

    /// Opens (creating if needed) the database at `path`. A file that is not
    /// a valid database is renamed to `state.db.corrupt-<time>` and a fresh
    /// one is created; `recovered` then says why, for the one warning line
    /// the CLI prints.
    ///
    /// The whole file is checked (`PRAGMA quick_check`, which reads every
    /// page) only when a statement of an earlier command failed with
    /// `SQLITE_CORRUPT` or `SQLITE_NOTADB` and left the marker
    /// `state.db-check` (see `checked`): on every open it cost a no-op build
    /// more than the rest of opening, and grew with the build history. A
    /// file that is no database at all fails while opening, without it.
    public static func open(at path: String) throws -> (StateDatabase, recovered: String?) {
        // A no-op record holds the database's stat from before the open (docs/performance.md).
        NoOpRecord.noteStateDatabase(path)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let marker = checkMarker(path)
        do {
            let db = try StateDatabase(path: path, check: FileManager.default.fileExists(atPath: marker))
            try? FileManager.default.removeItem(atPath: marker)
            return (db, nil)
        } catch {
            let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            let db = try StateDatabase(path: path, check: false)
            try? FileManager.default.removeItem(atPath: marker)
            return (db, "state database \(path) was unreadable (\(error)); moved aside to \(aside) and rebuilt from the files")
        }
    }

    /// The file whose presence makes the next open check the whole database.
    static func checkMarker(_ path: String) -> String { path + "-check" }

    private init(path: String, check: Bool) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads map the file instead of copying pages through read(2):
            // a no-op build reads every node's current build and the digest
            // image, and the copies were most of that time (writes still go
            // through the WAL as before).
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        // A file that is not a database fails here (SQLITE_NOTADB), or in
        // the migrator, which reads the schema.
        // One connection (a queue), in WAL mode: the file keeps the mode, so
        // other processes still read beside a writer. Not a pool: a pool's
        // open writes a table into a missing or empty WAL (GRDB's guard for
        // readers), so every command, even one that only read, changed
        // state.db, and a no-op record could never vouch for it.
        let pool = try DatabaseQueue(path: path, configuration: config)
        if try pool.read({ try String.fetchOne($0, sql: "PRAGMA journal_mode") }) != "wal" {
            try pool.writeWithoutTransaction { _ = try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }
        }
        if check {
            try pool.read { db in
                let result = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "?"
                if result != "ok" { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: result) }
            }
        }
        // Migrating takes the write lock and reads the schema; a read of the
        // applied migrations is enough when none is missing (every command
        // opens the database, most find it current).
        let migrator = Migrations.migrator
        if try !pool.read({ try migrator.hasCompletedMigrations($0) }) {
            try migrator.migrate(pool)
        }
        self.writer = pool
        self.path = path
    }

    /// Runs a read, noting corruption for the next open (see `checked`).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try checked { try writer.read(body) }
    }

    /// Runs a write transaction, noting corruption for the next open.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try checked { try writer.write(body) }
    }

    /// Every statement goes through here: one failing with `SQLITE_CORRUPT`
    /// or `SQLITE_NOTADB` leaves the marker, so the next command's open
    /// checks the whole file and rebuilds it (with the one warning) when
    /// the check fails. This command fails with the error.
    private func checked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError
                    where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            if let path { _ = FileManager.default.createFile(atPath: Self.checkMarker(path), contents: Data()) }
            throw error
        }
    }

    /// Opens an existing database for reading only: no migrations, nothing
    /// written (`doctor`, which changes nothing).
    public static func openReadOnly(at path: String) throws -> StateDatabase {
        try StateDatabase(readOnlyAt: path)
    }

    private init(readOnlyAt path: String) throws {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        self.writer = try DatabaseQueue(path: path, configuration: config)
        self.path = path
    }

    /// An in-memory database for unit tests.
    public init() throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue)
        self.writer = queue
        self.path = nil
    }
}
