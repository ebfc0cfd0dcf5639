import Foundation
import GRDB

/// What a tool printed for `--version`, remembered with the fingerprint of
/// the executables it ran (path, size, mtime), so a later command asks the
/// tool again only when one of them changed. Table `tool_identity`.
public struct ToolIdentityRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tool_identity"
    /// The probed command line and a digest of the `CATALYST*` environment
    /// it runs with, NUL-separated (the table's key).
    public var command: String
    /// `path:size:mtime_ns` of each executable the command names, `;`-separated.
    public var fingerprint: String
    /// Exactly what the tool printed on standard output.
    public var output: String
    public var probedAt: Date

    enum CodingKeys: String, CodingKey {
        case command, fingerprint, output, probedAt = "probed_at"
    }

    public init(command: String, fingerprint: String, output: String, probedAt: Date) {
        self.command = command; self.fingerprint = fingerprint; self.output = output; self.probedAt = probedAt
    }
}

extension StateDatabase {
    /// The remembered identity of a probed command, if any.
    public func toolIdentity(command: String) throws -> ToolIdentityRecord? {
        try read { db in try ToolIdentityRecord.fetchOne(db, key: command) }
    }

    /// Remembers (or replaces) what a probed command printed.
    public func recordToolIdentity(_ record: ToolIdentityRecord) throws {
        try write { db in try record.insert(db, onConflict: .replace) }
    }
}
