/// A target ready to render and build: its own keys merged with its
/// features (and, for a fleet variant, the fleet's overrides), roles still
/// named, seed resolved to a node. Merge order, as docs/config.md states:
/// features' `requires` first (depth-first, post-order), then the target's
/// features in list order, each feature once; a fleet's override features
/// after the target's; then the target's own packages / USE / services;
/// the fleet's override packages / USE / services last; a fleet snapshot
/// replaces the target's. Lists keep the first occurrence of each value;
/// for USE the position of a flag's first occurrence keeps the sign of its
/// last (a later `-X` turns an earlier `X` off).
public struct ResolvedTarget: Sendable, Hashable {
    /// The target name, `vm/test`.
    public var name: String
    /// The fleet whose overrides apply, or nil.
    public var fleet: String?
    /// `stage4/vm/test` or `stage4/vm/test@canary`.
    public var nodeName: String
    public var stage: StageKind
    /// `.seed(NAME)` or `.target(NODE)`; in a fleet variant, a seed naming
    /// another member of the same fleet is that member's variant node.
    public var seed: SeedReference
    /// The snapshot role, not yet resolved to a date.
    public var snapshotRole: String
    /// The role of a `seed/NAME` seed (`stable` unless `seed_role` says otherwise).
    public var seedRole: String = "stable"

    /// The node the build starts from: `seed/NAME` (role `stable`),
    /// `seed/NAME@ROLE` for another seed role, or the parent target's node.
    public var seedNode: String {
        if case let .seed(name) = seed, seedRole != "stable" { return "seed/\(name)@\(seedRole)" }
        return seed.nodeName
    }
    public var profile: String
    public var subarch: String
    /// Template path relative to the build directory; nil = the stage's built-in default.
    public var specTemplate: String?
    /// Features in merge order.
    public var features: [String]
    public var packages: [String]
    public var use: [String]
    public var services: [String]
    /// Feature portage directories, in merge order.
    public var portageDirs: [String]
    /// Feature overlay directories, in merge order.
    public var overlayDirs: [String]
    /// Feature fsscripts, in merge order.
    public var fsscripts: [String]
    public var kernel: KernelConfig?
    public var images: [String]
    /// The target's `[image]` table.
    public var image: ImageConfig
    /// `[publish.*]` (the target's merged over cbuild.toml's).
    public var publish: PublishConfig
    public var specExtra: [SpecExtraEntry]
    public var vars: [String: String]
    public var description: String?
    /// What each file contributed, in merge order (feature files, the target
    /// file, the fleet file), for `--explain`.
    public var contributions: [Contribution]

    public init(name: String, fleet: String? = nil, nodeName: String, stage: StageKind, seed: SeedReference,
                snapshotRole: String, profile: String, subarch: String, specTemplate: String? = nil,
                features: [String] = [], packages: [String] = [], use: [String] = [], services: [String] = [],
                portageDirs: [String] = [], overlayDirs: [String] = [], fsscripts: [String] = [],
                kernel: KernelConfig? = nil, images: [String] = [], image: ImageConfig = ImageConfig(), publish: PublishConfig = PublishConfig(), specExtra: [SpecExtraEntry] = [],
                vars: [String: String] = [:], description: String? = nil, contributions: [Contribution] = []) {
        self.name = name
        self.fleet = fleet
        self.nodeName = nodeName
        self.stage = stage
        self.seed = seed
        self.snapshotRole = snapshotRole
        self.profile = profile
        self.subarch = subarch
        self.specTemplate = specTemplate
        self.features = features
        self.packages = packages
        self.use = use
        self.services = services
        self.portageDirs = portageDirs
        self.overlayDirs = overlayDirs
        self.fsscripts = fsscripts
        self.kernel = kernel
        self.images = images
        self.image = image
        self.publish = publish
        self.specExtra = specExtra
        self.vars = vars
        self.description = description
        self.contributions = contributions
    }
}
