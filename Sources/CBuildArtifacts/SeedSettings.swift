/// One `[seeds.NAME]` table of `cbuild.toml`: which stage3 the seed follows
/// (`releases/<arch>/autobuilds/latest-stage3-<arch>-<variant>.txt`) and where
/// it comes from. The caller fills in `[snapshots]`' mirrors and keyring when
/// the seed names none.
public struct SeedSettings: Sendable, Equatable {
    public var name: String
    public var arch: String
    public var variant: String
    public var mirrors: [String]
    /// OpenPGP public key files (absolute paths), armored or binary.
    public var keyring: [String]
    /// Whether plain `http://` mirrors are allowed.
    public var allowHTTP: Bool
    /// Gentoo's release key file, added to the keyring when it exists; nil to never use it.
    public var systemKeyFile: String?

    public init(name: String, arch: String, variant: String, mirrors: [String], keyring: [String],
                allowHTTP: Bool = false, systemKeyFile: String? = Keyring.gentooSystemKeyFile) {
        self.name = name
        self.arch = arch
        self.variant = variant
        self.mirrors = mirrors
        self.keyring = keyring
        self.allowHTTP = allowHTTP
        self.systemKeyFile = systemKeyFile
    }

    /// `releases/<arch>/autobuilds`, the directory the listing's paths are relative to.
    public var autobuildsPath: String { "releases/\(arch)/autobuilds" }

    /// The clearsigned listing naming the newest stage.
    public var listingPath: String { "\(autobuildsPath)/latest-stage3-\(arch)-\(variant).txt" }

    /// The stored file name of a stage with release identifier `ident`.
    public func fileName(ident: String) -> String { "stage3-\(arch)-\(variant)-\(ident).tar.xz" }
}
