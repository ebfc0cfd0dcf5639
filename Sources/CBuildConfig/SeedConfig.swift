/// `[seeds.NAME]` of cbuild.toml: a stage3 (or other) seed downloaded from
/// a mirror's `releases/<arch>/autobuilds/latest-stage3-<arch>-<variant>.txt`;
/// the node `seed/NAME`.
public struct SeedConfig: Sendable, Hashable {
    public var name: String
    public var arch: String
    public var variant: String
    /// This seed's mirrors, or `[snapshots] mirrors` when not written.
    public var mirrors: [String]
    /// This seed's keyring, or `[snapshots] keyring` when not written.
    public var keyring: [String]

    public init(name: String, arch: String, variant: String, mirrors: [String], keyring: [String]) {
        self.name = name
        self.arch = arch
        self.variant = variant
        self.mirrors = mirrors
        self.keyring = keyring
    }

    /// `seed/NAME`.
    public var nodeName: String { "seed/" + name }

    static let allowedKeys = ["arch", "variant", "mirrors", "keyring"]

    init(name: String, reading r: TableReader, snapshots: SnapshotsConfig, rules: PathRules) throws {
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        self.name = name
        arch = try r.requiredString("arch", expected: "the Gentoo arch, e.g. \"amd64\"")
        guard NameRules.isName(arch) else { throw r.invalid("arch", "'\(arch)' is not an arch name") }
        variant = try r.requiredString("variant", expected: "the stage3 variant, e.g. \"openrc\"")
        guard NameRules.isName(variant) else { throw r.invalid("variant", "'\(variant)' is not a variant name") }
        mirrors = try SnapshotsConfig.mirrors(r, key: "mirrors", allowHTTP: snapshots.allowHTTP) ?? snapshots.mirrors
        keyring = try r.paths("keyring", kind: .file, rules: rules) ?? snapshots.keyring
    }
}
