import Foundation
import GRDB

/// One move of a snapshot or seed role (fetch, promote, rollback, nightly),
/// with who did it, when and why. Rows are never updated or deleted.
public struct RoleMoveRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "role_history"
    public var id: Int64?
    /// "snapshot" or "seed".
    public var kind: String
    /// The seed's name; "" for snapshots.
    public var name: String
    public var role: String
    public var oldValue: String?
    public var newValue: String
    /// "fetch", "promote", "rollback", "nightly", "locked".
    public var reason: String
    /// user@host that made the move.
    public var actor: String
    public var at: Date
    /// Free text: "--insecure", "nightly run …".
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, name, role, oldValue = "old_value", newValue = "new_value", reason, actor, at, note
    }

    public init(kind: String, name: String, role: String, oldValue: String?, newValue: String,
                reason: String, actor: String, at: Date, note: String? = nil) {
        self.kind = kind; self.name = name; self.role = role; self.oldValue = oldValue
        self.newValue = newValue; self.reason = reason; self.actor = actor; self.at = at; self.note = note
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
