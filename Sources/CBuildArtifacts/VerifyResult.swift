/// The outcome of re-hashing one stored file against the digests recorded
/// when it was verified (`snapshot verify`, `seed verify`).
public struct VerifyResult: Sendable, Equatable {
    /// What re-hashing found.
    public enum Status: Sendable, Equatable {
        /// Same size and digests as recorded.
        case intact
        /// Content differs from the record; the detail says how.
        case modified(String)
        /// A dated file the state database has no record of (e.g. after deleting state.db).
        case unrecorded
        /// Recorded, but the file is gone.
        case missing
    }

    public var kind: String
    public var name: String
    public var ident: String
    public var file: String
    public var status: Status

    public init(kind: String, name: String, ident: String, file: String, status: Status) {
        self.kind = kind; self.name = name; self.ident = ident; self.file = file; self.status = status
    }

    /// Whether this result should fail `verify` (exit 3).
    public var isProblem: Bool {
        if case .modified = status { return true }
        return false
    }
}
