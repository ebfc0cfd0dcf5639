/// Where snapshots come from and what verifies them: the `[snapshots]` table
/// of `cbuild.toml`, mapped by the caller so this module does not depend on
/// the configuration types.
public struct MirrorSettings: Sendable, Equatable {
    /// Mirror base URLs in order of preference (`https://`, `file://`, `http://` when allowed).
    public var mirrors: [String]
    /// OpenPGP public key files (absolute paths), armored or binary.
    public var keyring: [String]
    /// How many days back from today-1 a fetch without a date looks.
    public var maxAgeDays: Int
    /// Whether plain `http://` mirrors are allowed.
    public var allowHTTP: Bool
    /// Gentoo's release key file, added to the keyring when it exists; nil to never use it.
    public var systemKeyFile: String?

    public init(mirrors: [String], keyring: [String], maxAgeDays: Int, allowHTTP: Bool,
                systemKeyFile: String? = Keyring.gentooSystemKeyFile) {
        self.mirrors = mirrors
        self.keyring = keyring
        self.maxAgeDays = maxAgeDays
        self.allowHTTP = allowHTTP
        self.systemKeyFile = systemKeyFile
    }
}
