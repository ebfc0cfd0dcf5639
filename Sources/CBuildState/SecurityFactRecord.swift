import Foundation
import GRDB

/// A stage tarball's package manifest as read once (`package_manifest`):
/// the content is JSON owned by CBuildSecurity; this layer only stores it.
public struct PackageManifestRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "package_manifest"
    /// `sha256:…` of the tarball.
    public var outputSHA256: String
    /// Version of the code that read it.
    public var reader: Int
    /// The tarball's path relative to the build directory when it was read.
    public var source: String
    public var content: String
    public var readAt: Date

    enum CodingKeys: String, CodingKey {
        case outputSHA256 = "output_sha256", reader, source, content, readAt = "read_at"
    }

    public init(outputSHA256: String, reader: Int, source: String, content: String, readAt: Date) {
        self.outputSHA256 = outputSHA256; self.reader = reader; self.source = source
        self.content = content; self.readAt = readAt
    }
}

/// A snapshot's advisories as read once (`snapshot_advisories`); JSON owned by CBuildSecurity.
public struct SnapshotAdvisoriesRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "snapshot_advisories"
    /// `sha256:…` of the snapshot file.
    public var snapshotSHA256: String
    public var reader: Int
    public var date: String
    public var content: String
    public var readAt: Date

    enum CodingKeys: String, CodingKey {
        case snapshotSHA256 = "snapshot_sha256", reader, date, content, readAt = "read_at"
    }

    public init(snapshotSHA256: String, reader: Int, date: String, content: String, readAt: Date) {
        self.snapshotSHA256 = snapshotSHA256; self.reader = reader; self.date = date
        self.content = content; self.readAt = readAt
    }
}
