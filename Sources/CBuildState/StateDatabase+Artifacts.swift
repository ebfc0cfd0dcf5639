import Foundation
import GRDB

/// Operations on verified downloads (`artifact`) and role moves
/// (`role_history`). Each public operation is one transaction, so a role move
/// and the artifact it points at are recorded together or not at all.
extension StateDatabase {
    /// Records a verified artifact (replacing an earlier record of the same
    /// path) and, when given, the role move it caused — in one transaction.
    public func recordArtifact(_ artifact: ArtifactRecord?, roleMove: RoleMoveRecord?) throws {
        try write { db in
            if let artifact { try artifact.insert(db, onConflict: .replace) }
            if var move = roleMove { try move.insert(db) }
        }
    }

    /// Records one role move (promote, rollback, locked fetch of a present file).
    public func recordRoleMove(_ move: RoleMoveRecord) throws {
        try recordArtifact(nil, roleMove: move)
    }

    /// The record of the artifact at `path` (relative to the build directory).
    public func artifact(path: String) throws -> ArtifactRecord? {
        try read { db in try ArtifactRecord.fetchOne(db, key: path) }
    }

    /// Every recorded artifact of a kind ("snapshot", "seed") and name, by path.
    public func artifacts(kind: String, name: String) throws -> [ArtifactRecord] {
        try read { db in
            try ArtifactRecord
                .filter(Column("kind") == kind && Column("name") == name)
                .order(Column("path"))
                .fetchAll(db)
        }
    }

    /// Forgets the records of removed files (prune, a file that failed re-verification).
    public func deleteArtifacts(paths: [String]) throws {
        guard !paths.isEmpty else { return }
        try write { db in
            for path in paths { _ = try ArtifactRecord.deleteOne(db, key: path) }
        }
    }

    /// Every role move of every snapshot and seed role, newest first.
    public func allRoleHistory(limit: Int = 100) throws -> [RoleMoveRecord] {
        try read { db in try RoleMoveRecord.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// Role moves of a kind and name, newest first; all roles when `role` is nil.
    public func roleHistory(kind: String, name: String, role: String? = nil) throws -> [RoleMoveRecord] {
        try read { db in
            var request = RoleMoveRecord.filter(Column("kind") == kind && Column("name") == name)
            if let role { request = request.filter(Column("role") == role) }
            return try request.order(Column("id").desc).fetchAll(db)
        }
    }
}
