import CBuildArtifacts
import CBuildBasics
import CBuildCatalyst
import CBuildConfig
import CBuildGraph
import CBuildImages
import CBuildPublish
import Foundation

/// Builds the DAG from a validated configuration: `init`; a `snapshot/ROLE`
/// per role in use; `seed/NAME` per seed; per target (and per fleet
/// variant) `confdir/`, `overlay/`, `fsscript/` when it has trees, `spec/`
/// and its stage node; `fleet/NAME`; `all`.
public enum ProjectGraph {
    public struct Options: Sendable {
        /// Overrides `[catalyst] command` (`--catalyst`).
        public var catalystCommand: [String]?
        /// Environment for catalyst (nil: inherit).
        public var catalystEnvironment: [String: String]?
        /// Extra variants of targets on another snapshot role, named
        /// `stageN/NAME@ROLE` (the nightly builds its targets on `testing`).
        public var roleVariants: (role: String, targets: [String])?
        public init(catalystCommand: [String]? = nil, catalystEnvironment: [String: String]? = nil,
                    roleVariants: (role: String, targets: [String])? = nil) {
            self.catalystCommand = catalystCommand; self.catalystEnvironment = catalystEnvironment
            self.roleVariants = roleVariants
        }
    }

    public static func catalystConf(_ config: BuildConfiguration) -> CatalystConf {
        let c = config.project.catalyst
        return CatalystConf(flavor: c.flavor, root: config.directory.root, options: c.options, digests: c.digests,
                            compression: c.compression)
    }

    /// The role link a snapshot role resolves through, relative to the root.
    public static func snapshotRoleLink(flavor: Int, role: String) -> String {
        flavor == 3 ? "artifacts/snapshots/portage-\(role).tar.xz" : "artifacts/snapshots/gentoo-\(role).sqfs"
    }

    /// The role link of a seed role.
    public static func seedRoleLink(seed: String, role: String) -> String {
        "artifacts/builds/seeds/\(seed)-\(role).tar.xz"
    }

    /// Key salt: what every key depends on besides its inputs.
    public static func keySalt(_ config: BuildConfiguration) -> [String] {
        ["catalyst-flavor=\(config.project.catalyst.flavor)"]
    }

    public static func build(_ config: BuildConfiguration, options: Options = Options()) throws -> BuildGraph {
        let root = config.directory.root
        let conf = catalystConf(config)
        var defs: [NodeDefinition] = []
        func template(_ path: String?) -> (name: String, text: String)? {
            guard let path, let data = FileManager.default.contents(atPath: root + "/" + path) else { return nil }
            return (path, String(decoding: data, as: UTF8.self))
        }
        defs.append(NodeDefinition(id: "init", rule: InitRule(conf: conf,
                                                              confTemplate: template(config.project.catalyst.confTemplate),
                                                              envscriptTemplate: template(config.project.catalyst.envscriptTemplate)),
                                   dependencies: []))
        func seedNode(_ name: String, role: String) -> NodeDefinition {
            NodeDefinition(id: NodeID(role == "stable" ? "seed/\(name)" : "seed/\(name)@\(role)"), rule: RoleSourceRule(
                artifactKind: "seed", name: name, roleLink: seedRoleLink(seed: name, role: role),
                roleDescription: "seed '\(name)' role '\(role)'",
                fetchHint: "run `cbuild seed fetch \(name)\(role == "stable" ? "" : " --role \(role)")`"), dependencies: [])
        }
        for seed in config.project.seeds { defs.append(seedNode(seed.name, role: "stable")) }
        var roles = Set<String>()
        var variants: [ResolvedTarget] = []
        for name in config.targets.keys.sorted() { variants.append(try config.resolve(target: name, fleet: nil)) }
        for fleet in config.fleets.values.sorted(by: { $0.name < $1.name }) where fleet.hasOverrides {
            for m in fleet.members { variants.append(try config.resolve(target: m, fleet: fleet.name)) }
        }
        if let extra = options.roleVariants {
            // Each target again with the snapshot role replaced; a seed that is
            // another of these targets resolves to that target's role variant.
            let names = Set(extra.targets)
            for name in extra.targets.sorted() {
                var v = try config.resolve(target: name, fleet: nil)
                v.snapshotRole = extra.role
                v.nodeName = "\(v.nodeName)@\(extra.role)"
                if case let .target(parent) = v.seed, let p = config.targets.values.first(where: { $0.nodeName == parent }),
                   names.contains(p.name) {
                    v.seed = .target("\(parent)@\(extra.role)")
                }
                variants.append(v)
            }
        }
        for v in variants { roles.insert(v.snapshotRole) }
        var seedRoles = Set<String>()
        for v in variants {
            if case let .seed(name) = v.seed, v.seedRole != "stable", seedRoles.insert("\(name)@\(v.seedRole)").inserted {
                defs.append(seedNode(name, role: v.seedRole))
            }
        }
        for role in roles.sorted() {
            defs.append(NodeDefinition(id: NodeID("snapshot/\(role)"), rule: RoleSourceRule(
                artifactKind: "snapshot", roleLink: snapshotRoleLink(flavor: conf.flavor, role: role),
                roleDescription: "snapshot role '\(role)'",
                fetchHint: "run `cbuild snapshot fetch --role \(role)` (or `cbuild snapshot promote \(role) DATE`)"),
                dependencies: []))
        }
        let command = options.catalystCommand ?? config.project.catalyst.command
        for v in variants {
            let suffix = String(v.nodeName.drop { $0 != "/" }.dropFirst())   // vm/test@canary
            var treeDeps: [NodeID] = []
            var confdir: NodeID?, overlay: NodeID?, fsscript: NodeID?
            if !v.portageDirs.isEmpty {
                confdir = NodeID("confdir/\(suffix)")
                defs.append(NodeDefinition(id: confdir!, rule: TreeMergeRule(treeKind: "confdir", directories: v.portageDirs, concatenate: true), dependencies: []))
                treeDeps.append(confdir!)
            }
            if !v.overlayDirs.isEmpty {
                overlay = NodeID("overlay/\(suffix)")
                defs.append(NodeDefinition(id: overlay!, rule: TreeMergeRule(treeKind: "overlay", directories: v.overlayDirs, concatenate: false), dependencies: []))
                treeDeps.append(overlay!)
            }
            if !v.fsscripts.isEmpty {
                fsscript = NodeID("fsscript/\(suffix)")
                defs.append(NodeDefinition(id: fsscript!, rule: FsscriptRule(scripts: v.fsscripts), dependencies: []))
                treeDeps.append(fsscript!)
            }
            let snapshot = NodeID("snapshot/\(v.snapshotRole)")
            let seed = NodeID(v.seedNode)
            let specID = NodeID("spec/\(suffix)")
            let specFile = SpecRule.specFile(for: v.nodeName)
            defs.append(NodeDefinition(id: specID, rule: SpecRule(target: v, flavor: conf.flavor, specFile: specFile,
                                                                  snapshotNode: snapshot, seedNode: seed,
                                                                  confdirNode: confdir, overlayNode: overlay, fsscriptNode: fsscript),
                                       dependencies: [snapshot, seed] + treeDeps))
            defs.append(NodeDefinition(id: NodeID(v.nodeName), rule: CatalystStageRule(
                specNode: specID, specPath: root + "/" + specFile, command: command, confPath: conf.confPath,
                tarballExtension: CatalystConf.tarballExtension(compression: conf.compression),
                requireDigests: !conf.digests.isEmpty, environment: options.catalystEnvironment),
                // The snapshot is a direct input: the spec carries only its date.
                dependencies: [specID, "init", seed, snapshot]))
            // Images (CBuildImages): image/NAME.FMT and test/NAME for a stage4 listing `images`.
            defs += ImageNodes.definitions(for: v)
            // Publishing (CBuildPublish): ami/NAME and azure/NAME from those images.
            defs += PublishNodes.definitions(for: v)
        }
        for fleet in config.fleets.values.sorted(by: { $0.name < $1.name }) {
            let members = fleet.members.map { m -> NodeID in
                let t = config.targets[m]!
                return NodeID(fleet.hasOverrides ? "\(t.nodeName)@\(fleet.name)" : t.nodeName)
            }
            defs.append(NodeDefinition(id: NodeID(fleet.nodeName), rule: GroupRule(name: "fleet"), dependencies: members))
        }
        defs.append(NodeDefinition(id: "all", rule: GroupRule(name: "all"),
                                   dependencies: config.targets.values.map { NodeID($0.nodeName) }.sorted()))
        return try BuildGraph(defs)
    }
}

/// A phony group (`fleet/NAME`, `all`).
public struct GroupRule: Rule {
    public let name: String
    public init(name: String) { self.name = name }
    public var recipeName: String { "group-\(name)" }
    public var recipeVersion: Int { 1 }
    public var kind: RuleKind { .phony }
}
