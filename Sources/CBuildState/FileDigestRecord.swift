import GRDB

/// A cached file digest, valid only while the file's identity and times
/// match and the file was already older than the moment it was hashed.
public struct FileDigestRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "file_digest"
    /// Absolute path at the time of hashing.
    public var path: String
    public var device: Int64
    public var inode: Int64
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    /// Tagged digest `sha256:…`.
    public var sha256: String
    /// Wall clock (ns since epoch) when the content was read.
    public var hashedAtNs: Int64

    enum CodingKeys: String, CodingKey {
        case path, device, inode, size, mtimeNs = "mtime_ns", ctimeNs = "ctime_ns", sha256, hashedAtNs = "hashed_at_ns"
    }

    public init(path: String, device: Int64, inode: Int64, size: Int64, mtimeNs: Int64, ctimeNs: Int64,
                sha256: String, hashedAtNs: Int64) {
        self.path = path; self.device = device; self.inode = inode; self.size = size
        self.mtimeNs = mtimeNs; self.ctimeNs = ctimeNs; self.sha256 = sha256; self.hashedAtNs = hashedAtNs
    }
}
