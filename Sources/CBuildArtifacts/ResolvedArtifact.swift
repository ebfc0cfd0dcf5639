import CBuildBasics

/// A role resolved to its file, as the graph needs it for keys and specs:
/// the identifier, where the file is, and its content hash.
public struct ResolvedArtifact: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var role: String
    /// The date (snapshots) or release stamp (seeds).
    public var ident: String
    /// Absolute path of the dated file (not the role link).
    public var path: String
    /// The dated file's name, e.g. `gentoo-20261124.xz.sqfs`.
    public var fileName: String
    public var size: Int64
    public var sha256: Digest

    public init(kind: String, name: String, role: String, ident: String, path: String, fileName: String,
                size: Int64, sha256: Digest) {
        self.kind = kind; self.name = name; self.role = role; self.ident = ident; self.path = path
        self.fileName = fileName; self.size = size; self.sha256 = sha256
    }
}
