import CBuildBasics

/// Everything a build directory describes, loaded and validated before
/// anything runs: cbuild.toml, every target, feature and fleet, with all
/// references between them checked and every buildable variant resolved.
/// A value: load it again to see changed files.
public struct BuildConfiguration: Sendable {
    public let directory: BuildDirectory
    public let project: ProjectConfig
    /// By target name, `vm/test`.
    public let targets: [String: TargetConfig]
    /// By feature name, `ssh`.
    public let features: [String: FeatureConfig]
    /// By fleet name, `canary`.
    public let fleets: [String: FleetConfig]
    /// All buildable (target, fleet?) variants: every target (sorted by
    /// name), then every member of a fleet with overrides (fleets sorted by
    /// name, members in the fleet's order).
    public let variants: [TargetVariant]
    private let resolvedByNode: [String: ResolvedTarget]

    init(directory: BuildDirectory, project: ProjectConfig, targets: [String: TargetConfig],
         features: [String: FeatureConfig], fleets: [String: FleetConfig], variants: [TargetVariant],
         resolvedByNode: [String: ResolvedTarget]) {
        self.directory = directory
        self.project = project
        self.targets = targets
        self.features = features
        self.fleets = fleets
        self.variants = variants
        self.resolvedByNode = resolvedByNode
    }

    /// Reads and validates the directory's files; the first problem found
    /// (in a fixed order) is thrown as a `ConfigError`.
    public static func load(_ directory: BuildDirectory) throws -> BuildConfiguration {
        var loader = ConfigLoader(directory: directory)
        return try loader.load()
    }

    /// What is worth saying about a directory that loaded: every
    /// `[publish.azure]` table naming a `sas_url_file` that `.gitignore`
    /// does not list, once per table, at its key. Every command shows them;
    /// publishing such a node refuses (exit 2) and `doctor` fails.
    public var warnings: [Diagnostic] {
        azurePublishTables.compactMap { azure in
            guard let at = azure.unignoredAt else { return nil }
            let (problem, hint) = azure.unignoredProblem
            return Diagnostic(.warning, "key '\(AzurePublishConfig.sasKey)': \(problem); publishing refuses it",
                              location: at, hint: hint)
        }
    }

    /// The `[publish.azure]` settings in force, cbuild.toml's first, then the
    /// targets' (sorted by name), each distinct SAS URL file once (a file
    /// git does not list once per table that names it).
    public var azurePublishTables: [AzurePublishConfig] {
        var seen = Set<String>()
        let tables = [project.publish.azure] + targets.keys.sorted().map { targets[$0]!.publish.azure }
        return tables.compactMap { $0 }.filter { seen.insert($0.sasURLFile + "\0" + ($0.unignoredAt?.description ?? "")).inserted }
    }

    /// Target composed with its features (and a fleet's overrides when fleet != nil).
    /// A fleet without overrides gives the plain target (`fleet` nil, node `stage4/NAME`).
    public func resolve(target: String, fleet: String?) throws -> ResolvedTarget {
        guard let config = targets[target] else {
            throw ConfigError.unknownName(kind: "target", name: target, candidates: targets.keys.sorted())
        }
        guard let fleet else { return resolvedByNode[config.nodeName]! }
        guard let fleetConfig = fleets[fleet] else {
            throw ConfigError.unknownName(kind: "fleet", name: fleet, candidates: fleets.keys.sorted())
        }
        guard fleetConfig.members.contains(target) else {
            throw ConfigError.notAFleetMember(target: target, fleet: fleet, members: fleetConfig.members)
        }
        return resolvedByNode[TargetResolver.nodeName(of: config, in: fleetConfig)]!
    }

    /// The resolved target behind a target node name (`stage4/vm/test`,
    /// `stage4/vm/test@canary`), or nil.
    public func resolved(node: String) -> ResolvedTarget? { resolvedByNode[node] }

    /// Every variant resolved, in `variants` order.
    public var resolvedTargets: [ResolvedTarget] { variants.map { resolvedByNode[$0.nodeName]! } }

    /// The nodes `fleet/NAME` stands for: its members' nodes (variants when it has overrides).
    public func memberNodes(ofFleet name: String) throws -> [String] {
        guard let fleet = fleets[name] else {
            throw ConfigError.unknownName(kind: "fleet", name: name, candidates: fleets.keys.sorted())
        }
        return fleet.members.map { TargetResolver.nodeName(of: targets[$0]!, in: fleet) }
    }

    /// Node names this configuration defines or that always exist: `all`,
    /// `init`, `fleet/…`, `seed/…`, and every target and variant node.
    public var knownNodeNames: [String] {
        ["all", "init"] + fleets.keys.sorted().map { "fleet/" + $0 } + project.seeds.map(\.nodeName)
            + variants.map(\.nodeName)
    }

    /// Whether `node` can name a node here. Kinds the configuration does
    /// not enumerate (`snapshot/ROLE`, `spec/…`, `confdir/…`, `overlay/…`,
    /// `fsscript/…`, `image/…`, `test/…`) are accepted by form and checked by the graph.
    public func isKnownNodeName(_ node: String) -> Bool {
        if node == "all" || node == "init" { return true }
        guard let slash = node.firstIndex(of: "/") else { return false }
        let prefix = String(node[..<slash]), rest = String(node[node.index(after: slash)...])
        switch prefix {
        case "fleet": return fleets[rest] != nil
        case "seed": return project.seed(named: rest) != nil
        case "snapshot": return NameRules.isRole(rest)
        case "spec", "confdir", "overlay", "fsscript", "image", "test", "ami", "azure": return !rest.isEmpty
        default: return resolvedByNode[node] != nil
        }
    }
}
