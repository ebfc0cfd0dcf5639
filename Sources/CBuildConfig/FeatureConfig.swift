/// A reusable bundle a target composes: `features/ssh.toml` is the feature
/// `ssh`, adding packages, USE flags, services, a portage confdir, a root
/// overlay and an fsscript to every target that lists it (SPEC section 5).
public struct FeatureConfig: Sendable, Hashable {
    public var name: String
    /// `features/ssh.toml`.
    public var file: String
    /// Features merged before this one.
    public var requires: [String]
    public var packages: [String]
    public var use: [String]
    public var services: [String]
    /// A directory merged into the target's portage_confdir.
    public var portage: String?
    /// A directory merged into the target's root overlay.
    public var overlay: String?
    /// A script concatenated into the target's fsscript.
    public var fsscript: String?
    public var description: String?

    static let allowedKeys = ["requires", "packages", "use", "services", "portage", "overlay", "fsscript", "description"]

    init(name: String, reading document: TOMLDocument, rules: PathRules) throws {
        let r = document.reader
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        self.name = name
        file = document.file
        requires = try r.names("requires", kind: "feature")
        packages = try r.atoms("packages")
        use = try r.useFlags("use")
        services = try r.services("services")
        portage = try r.path("portage", kind: .directory, rules: rules)
        overlay = try r.path("overlay", kind: .directory, rules: rules)
        fsscript = try r.path("fsscript", kind: .file, rules: rules)
        description = try r.string("description")
    }
}
