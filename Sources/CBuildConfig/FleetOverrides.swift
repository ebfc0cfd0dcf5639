/// A fleet's `[overrides]`: applied to each member, which makes every member
/// a variant node `stage4/NAME@FLEET`.
public struct FleetOverrides: Sendable, Hashable {
    /// Replaces each member's snapshot role.
    public var snapshot: String?
    /// Replaces the seed role of each member seeded from `seed/NAME`.
    public var seedRole: String?
    /// Appended after each member's own features.
    public var features: [String]
    /// Appended last, after the member's own packages / USE / services.
    public var packages: [String]
    public var use: [String]
    public var services: [String]

    public init(snapshot: String? = nil, features: [String] = [], packages: [String] = [],
                use: [String] = [], services: [String] = []) {
        self.snapshot = snapshot
        self.features = features
        self.packages = packages
        self.use = use
        self.services = services
    }

    static let allowedKeys = ["snapshot", "seed_role", "features", "packages", "use", "services"]

    init(reading r: TableReader) throws {
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        self.init(snapshot: try r.role("snapshot"), features: try r.names("features", kind: "feature"),
                  packages: try r.atoms("packages"), use: try r.useFlags("use"), services: try r.services("services"))
        seedRole = try r.role("seed_role")
    }
}
