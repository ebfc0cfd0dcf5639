import CBuildBasics
import Foundation
import GRDB

/// The one owner of `.cache/state.db`: opens it in WAL mode, runs the
/// append-only migrations, and exposes named operations that each run in a
/// single transaction. The database is a cache of facts that can be
/// re-derived: a missing or corrupt file is moved aside and rebuilt.
///
/// Schema (version 1, see `Migrations.swift`):
/// - `node_build`: one row per attempt to bring a node up to date (built,
///   reused, failed, interrupted), with its key, per-input hashes (JSON),
///   output hashes (JSON), times, duration and log path.
/// - `node_current`: node name → the `node_build` row whose outputs are current.
/// - `file_digest`: the digest cache keyed by path and validated by
///   (device, inode, size, mtime ns, ctime ns) plus the racy-git rule.
/// - `role_history`: every move of a snapshot or seed role.
/// - `artifact`: verified downloads (snapshot/seed files) and how they were verified.
/// - `meta`: small key/value facts (e.g. the build directory path last rendered).
public final class StateDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// Where the database file lives, or nil for an in-memory database.
    public let path: String?

    /// Opens (creating if needed) the database at `path`. A file that is not
    /// a valid database or fails its integrity check is renamed to
    /// `state.db.corrupt-<time>` and a fresh one is created; `recovered`
    /// then says why, for the one warning line the CLI prints.
    public static func open(at path: String) throws -> (StateDatabase, recovered: String?) {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        do {
            let db = try StateDatabase(path: path)
            return (db, nil)
        } catch {
            let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            let db = try StateDatabase(path: path)
            return (db, "state database \(path) was unreadable (\(error)); moved aside to \(aside) and rebuilt from the files")
        }
    }

    private init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        // A file that opens but is not a database fails here.
        try pool.read { db in
            let result = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "?"
            if result != "ok" { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: result) }
        }
        try Migrations.migrator.migrate(pool)
        self.writer = pool
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
