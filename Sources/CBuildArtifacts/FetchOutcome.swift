/// What a fetch did: which file the role now points at, whether anything
/// was downloaded, and how it was verified — for the CLI to report.
public struct FetchOutcome: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var role: String
    /// The date or release stamp the role points at after the fetch.
    public var ident: String
    public var file: String
    /// Absolute path of the stored file.
    public var path: String
    /// The role's value before the fetch.
    public var previous: String?
    /// Whether the role changed.
    public var moved: Bool
    /// Whether bytes were transferred (false when the file was already present and intact).
    public var downloaded: Bool
    /// The URL it was downloaded from.
    public var source: String?
    /// Fingerprint of the key whose signature was good.
    public var verifiedBy: String?
    public var insecure: Bool

    public init(kind: String, name: String, role: String, ident: String, file: String, path: String,
                previous: String?, moved: Bool, downloaded: Bool, source: String?, verifiedBy: String?, insecure: Bool) {
        self.kind = kind; self.name = name; self.role = role; self.ident = ident; self.file = file
        self.path = path; self.previous = previous; self.moved = moved; self.downloaded = downloaded
        self.source = source; self.verifiedBy = verifiedBy; self.insecure = insecure
    }
}
