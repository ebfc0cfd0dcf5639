import GRDB

/// Append-only schema migrations, written as SQL so they never depend on the
/// app's types. Never edit a released migration: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE node_build (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL,
                    node TEXT NOT NULL,
                    key TEXT NOT NULL,
                    recipe TEXT NOT NULL,
                    inputs TEXT NOT NULL,
                    outputs TEXT NOT NULL DEFAULT '[]',
                    state TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    ended_at REAL,
                    duration REAL,
                    log_path TEXT,
                    message TEXT
                );
                CREATE INDEX node_build_node ON node_build(node, id);
                CREATE INDEX node_build_key ON node_build(key);
                CREATE TABLE node_current (
                    node TEXT PRIMARY KEY,
                    build_id INTEGER NOT NULL REFERENCES node_build(id)
                );
                CREATE TABLE file_digest (
                    path TEXT PRIMARY KEY,
                    device INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    hashed_at_ns INTEGER NOT NULL
                );
                CREATE TABLE role_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    old_value TEXT,
                    new_value TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    at REAL NOT NULL,
                    note TEXT
                );
                CREATE TABLE artifact (
                    path TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    ident TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    sha512 TEXT,
                    blake2b TEXT,
                    verified_at REAL NOT NULL,
                    verified_by TEXT,
                    source TEXT,
                    insecure INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v2") { db in
            // Recovering abandoned runs looks for `running` rows when every
            // locked command starts; without an index that read the whole
            // build history. Partial: only unfinished attempts are in it.
            try db.execute(sql: """
                CREATE INDEX node_build_running ON node_build(state) WHERE state = 'running';
                """)
        }
        m.registerMigration("v3") { db in
            // Catalyst's identity (`CMD --version`) enters every stage's key;
            // the probe's answer is remembered per command and executable
            // fingerprint. Paths in state become relative to the build
            // directory (a moved or cloned directory reads its own logs):
            // the root last rendered (meta 'root') is stripped from log
            // paths, messages and digest-cache rows, and is then forgotten
            // (the directory is now recognised by a digest of its path).
            try db.execute(sql: """
                CREATE TABLE tool_identity (
                    command TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    output TEXT NOT NULL,
                    probed_at REAL NOT NULL
                );
                UPDATE node_build
                   SET log_path = substr(log_path, instr(log_path, '/.cache/logs/') + 1)
                 WHERE log_path LIKE '/%' AND instr(log_path, '/.cache/logs/') > 0;
                UPDATE node_build
                   SET message = replace(replace(message, (SELECT value FROM meta WHERE key = 'root') || '/', ''),
                                         (SELECT value FROM meta WHERE key = 'root'), '.')
                 WHERE message IS NOT NULL AND (SELECT value FROM meta WHERE key = 'root') IS NOT NULL;
                DELETE FROM file_digest
                 WHERE (SELECT value FROM meta WHERE key = 'root') IS NOT NULL
                   AND EXISTS (SELECT 1 FROM file_digest f2
                                WHERE f2.path = substr(file_digest.path, length((SELECT value FROM meta WHERE key = 'root')) + 2))
                   AND substr(path, 1, length((SELECT value FROM meta WHERE key = 'root')) + 1)
                       = (SELECT value FROM meta WHERE key = 'root') || '/';
                UPDATE file_digest
                   SET path = substr(path, length((SELECT value FROM meta WHERE key = 'root')) + 2)
                 WHERE (SELECT value FROM meta WHERE key = 'root') IS NOT NULL
                   AND substr(path, 1, length((SELECT value FROM meta WHERE key = 'root')) + 1)
                       = (SELECT value FROM meta WHERE key = 'root') || '/';
                DELETE FROM meta WHERE key = 'root';
                """)
        }
        m.registerMigration("v4") { db in
            // Security facts (docs/security.md), re-derivable like everything
            // here: a stage tarball's package manifest keyed by the tarball's
            // content, a snapshot's advisories keyed by the snapshot's
            // content. `reader` is the version of the code that read them,
            // so a fixed reader re-reads instead of trusting old rows.
            try db.execute(sql: """
                CREATE TABLE package_manifest (
                    output_sha256 TEXT NOT NULL,
                    reader INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    content TEXT NOT NULL,
                    read_at REAL NOT NULL,
                    PRIMARY KEY (output_sha256, reader)
                );
                CREATE TABLE snapshot_advisories (
                    snapshot_sha256 TEXT NOT NULL,
                    reader INTEGER NOT NULL,
                    date TEXT NOT NULL,
                    content TEXT NOT NULL,
                    read_at REAL NOT NULL,
                    PRIMARY KEY (snapshot_sha256, reader)
                );
                """)
        }
        m.registerMigration("v5") { db in
            // The digest cache's entries as one sorted image (DigestIndex):
            // read with one query instead of one row per file. Filled by the
            // next flush from `file_digest`, which stays the record.
            try db.execute(sql: """
                CREATE TABLE digest_index (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    data BLOB NOT NULL
                );
                """)
        }
        return m
    }
}
