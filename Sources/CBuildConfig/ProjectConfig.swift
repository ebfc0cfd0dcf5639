import Foundation

/// cbuild.toml, validated with its defaults applied: the project's name and
/// default nodes, `[catalyst]`, `[snapshots]`, `[seeds.NAME]` in file order,
/// `[nightly]` and `[cache]` (SPEC section 1; every key in docs/config.md).
public struct ProjectConfig: Sendable, Hashable {
    /// `[project] name`; default: the build directory's name.
    public var name: String
    /// `[project] default`: what a bare `cbuild` builds; default `["all"]`.
    public var defaultNodes: [String]
    public var catalyst: CatalystConfig
    public var snapshots: SnapshotsConfig
    /// `[seeds.NAME]` tables in the order cbuild.toml writes them.
    public var seeds: [SeedConfig]
    public var nightly: NightlyConfig
    /// `[cache]`: the shared remote cache; nil when the table is absent.
    public var cache: CacheConfig?
    /// `[publish.aws]` / `[publish.azure]`: defaults for every target's publish nodes.
    public var publish: PublishConfig

    public init(name: String, defaultNodes: [String] = ["all"], catalyst: CatalystConfig = CatalystConfig(),
                snapshots: SnapshotsConfig = SnapshotsConfig(), seeds: [SeedConfig] = [], nightly: NightlyConfig? = nil,
                cache: CacheConfig? = nil, publish: PublishConfig = PublishConfig()) {
        self.name = name
        self.defaultNodes = defaultNodes
        self.catalyst = catalyst
        self.snapshots = snapshots
        self.seeds = seeds
        self.nightly = nightly ?? NightlyConfig(targets: defaultNodes)
        self.cache = cache
        self.publish = publish
    }

    /// The seed `[seeds.NAME]`, or nil.
    public func seed(named name: String) -> SeedConfig? { seeds.first { $0.name == name } }

    static let allowedKeys = ["project", "catalyst", "snapshots", "seeds", "nightly", "cache", "publish"]
    static let projectKeys = ["name", "default"]

    init(reading document: TOMLDocument, rules: PathRules) throws {
        let r = document.reader
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        var name = (rules.directory.root as NSString).lastPathComponent
        var defaultNodes = ["all"]
        if let project = try r.table("project") {
            try project.rejectUnknownKeys(allowed: Self.projectKeys)
            if let n = try project.string("name") {
                guard !n.isEmpty, !NameRules.hasSpaceOrComment(n) else {
                    throw project.invalid("name", "'\(n)' is not a project name", hint: "no spaces or '#'")
                }
                name = n
            }
            if let nodes = try project.strings("default") {
                guard !nodes.isEmpty else {
                    throw project.invalid("default", "the list is empty", hint: "name nodes, e.g. [\"all\"] or [\"fleet/prod\"]")
                }
                defaultNodes = nodes
            }
        }
        let catalyst = try CatalystConfig(reading: try r.table("catalyst"), rules: rules)
        let snapshots = try SnapshotsConfig(reading: try r.table("snapshots"), rules: rules)
        var seeds: [SeedConfig] = []
        if let table = try r.table("seeds") {
            for entry in table.entries {
                guard NameRules.isName(entry.key) else {
                    throw table.invalid(entry.key, "'\(entry.key)' is not a valid seed name",
                                        hint: "letters, digits, '.', '_', '+', '-', e.g. [seeds.amd64-openrc]")
                }
                guard let seedTable = try table.table(entry.key) else { continue }
                seeds.append(try SeedConfig(name: entry.key, reading: seedTable, snapshots: snapshots, rules: rules))
            }
        }
        let nightly = try NightlyConfig(reading: try r.table("nightly"), defaultTargets: defaultNodes)
        let cache = try CacheConfig(reading: try r.table("cache"), rules: rules)
        let publish = try PublishConfig(reading: try r.table("publish"), base: PublishConfig(), rules: rules)
        self.init(name: name, defaultNodes: defaultNodes, catalyst: catalyst, snapshots: snapshots,
                  seeds: seeds, nightly: nightly, cache: cache, publish: publish)
    }
}
