import Foundation
import GRDB

/// A downloaded file that passed verification: where it is, its digests, and
/// when and by which key it was verified (or that it was taken `--insecure`).
public struct ArtifactRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artifact"
    /// Relative to the build directory, e.g. `artifacts/snapshots/gentoo-20261124.xz.sqfs`.
    public var path: String
    /// "snapshot" or "seed".
    public var kind: String
    /// The seed's name; "" for snapshots.
    public var name: String
    /// The date or release identifier (`20261124`, `20261124T170000Z`).
    public var ident: String
    public var size: Int64
    public var sha256: String
    public var sha512: String?
    public var blake2b: String?
    public var verifiedAt: Date
    /// Fingerprint of the key whose signature was good, nil when insecure.
    public var verifiedBy: String?
    /// The URL it was downloaded from.
    public var source: String?
    public var insecure: Bool

    enum CodingKeys: String, CodingKey {
        case path, kind, name, ident, size, sha256, sha512, blake2b
        case verifiedAt = "verified_at", verifiedBy = "verified_by", source, insecure
    }

    public init(path: String, kind: String, name: String, ident: String, size: Int64, sha256: String,
                sha512: String?, blake2b: String?, verifiedAt: Date, verifiedBy: String?,
                source: String?, insecure: Bool) {
        self.path = path; self.kind = kind; self.name = name; self.ident = ident; self.size = size
        self.sha256 = sha256; self.sha512 = sha512; self.blake2b = blake2b; self.verifiedAt = verifiedAt
        self.verifiedBy = verifiedBy; self.source = source; self.insecure = insecure
    }
}
