import Foundation

/// One dated file under `artifacts/` as `snapshot list` / `seed list` show
/// it: what it is, how it was verified, and which roles point at it.
public struct ArtifactInfo: Sendable, Equatable {
    /// "snapshot" or "seed".
    public var kind: String
    /// The seed's name; "" for snapshots.
    public var name: String
    /// The date (snapshots) or release stamp (seeds).
    public var ident: String
    public var file: String
    /// Absolute path.
    public var path: String
    public var size: Int64
    public var verifiedAt: Date?
    /// Fingerprint of the key whose signature was good; nil when unknown or insecure.
    public var verifiedBy: String?
    public var insecure: Bool
    /// Whether the state database knows how this file was verified.
    public var recorded: Bool
    /// Roles pointing at this file, sorted.
    public var roles: [String]
    /// Verified once, but its bytes changed since: nothing will read it.
    public var modified: Bool

    /// The snapshot date (same as `ident`).
    public var date: String { ident }

    public init(kind: String, name: String, ident: String, file: String, path: String, size: Int64,
                verifiedAt: Date?, verifiedBy: String?, insecure: Bool, recorded: Bool, roles: [String],
                modified: Bool = false) {
        self.modified = modified
        self.kind = kind; self.name = name; self.ident = ident; self.file = file; self.path = path
        self.size = size; self.verifiedAt = verifiedAt; self.verifiedBy = verifiedBy
        self.insecure = insecure; self.recorded = recorded; self.roles = roles
    }
}

/// A snapshot in `artifacts/snapshots/`.
public typealias SnapshotInfo = ArtifactInfo
/// A seed stage in `artifacts/builds/seeds/`.
public typealias SeedInfo = ArtifactInfo
