/// Composes a target with its features and a fleet's overrides into a
/// `ResolvedTarget`, in the merge order `ResolvedTarget` documents. Runs on
/// a configuration whose references and cycles are already validated.
struct TargetResolver: Sendable {
    let targets: [String: TargetConfig]
    let features: [String: FeatureConfig]
    /// Target node name → target name.
    let targetsByNode: [String: String]

    init(targets: [String: TargetConfig], features: [String: FeatureConfig]) {
        self.targets = targets
        self.features = features
        targetsByNode = Dictionary(uniqueKeysWithValues: targets.values.map { ($0.nodeName, $0.name) })
    }

    /// Each feature once, every feature after the features it requires.
    func featureOrder(_ roots: [String]) -> [String] {
        var order: [String] = []
        var seen = Set<String>()
        func visit(_ name: String) {
            guard seen.insert(name).inserted else { return }
            for required in features[name]?.requires ?? [] { visit(required) }
            order.append(name)
        }
        roots.forEach(visit)
        return order
    }

    /// The variant node name of `target` in `fleet` (plain node when the fleet has no overrides).
    static func nodeName(of target: TargetConfig, in fleet: FleetConfig?) -> String {
        guard let fleet, fleet.hasOverrides else { return target.nodeName }
        return target.nodeName + "@" + fleet.name
    }

    func resolve(_ target: TargetConfig, fleet: FleetConfig?) -> ResolvedTarget {
        let variantFleet = fleet?.hasOverrides == true ? fleet : nil
        let overrides = variantFleet?.overrides
        let order = featureOrder(target.features + (overrides?.features ?? []))
        let merged = order.compactMap { features[$0] }

        var contributions: [Contribution] = []
        func contribute(_ source: String, _ key: String, _ values: [String]) {
            if !values.isEmpty { contributions.append(Contribution(source: source, key: key, values: values)) }
        }
        for feature in merged {
            contribute(feature.file, "requires", feature.requires)
            contribute(feature.file, "packages", feature.packages)
            contribute(feature.file, "use", feature.use)
            contribute(feature.file, "services", feature.services)
            contribute(feature.file, "portage", feature.portage.map { [$0] } ?? [])
            contribute(feature.file, "overlay", feature.overlay.map { [$0] } ?? [])
            contribute(feature.file, "fsscript", feature.fsscript.map { [$0] } ?? [])
        }
        contribute(target.file, "features", target.features)
        contribute(target.file, "packages", target.packages)
        contribute(target.file, "use", target.use)
        contribute(target.file, "services", target.services)
        if target.snapshotIsExplicit { contribute(target.file, "snapshot", [target.snapshot]) }
        if let role = target.seedRole { contribute(target.file, "seed_role", [role]) }
        if let fleet = variantFleet, let overrides {
            contribute(fleet.file, "snapshot", overrides.snapshot.map { [$0] } ?? [])
            contribute(fleet.file, "seed_role", overrides.seedRole.map { [$0] } ?? [])
            contribute(fleet.file, "features", overrides.features)
            contribute(fleet.file, "packages", overrides.packages)
            contribute(fleet.file, "use", overrides.use)
            contribute(fleet.file, "services", overrides.services)
        }

        var seed = target.seed
        if let fleet = variantFleet, case let .target(node) = seed,
           let seedTarget = targetsByNode[node], fleet.members.contains(seedTarget) {
            seed = .target(node + "@" + fleet.name)
        }

        var resolved = ResolvedTarget(
            name: target.name,
            fleet: variantFleet?.name,
            nodeName: Self.nodeName(of: target, in: variantFleet),
            stage: target.stage,
            seed: seed,
            snapshotRole: overrides?.snapshot ?? target.snapshot,
            profile: target.profile,
            subarch: target.subarch,
            specTemplate: target.spec,
            features: order,
            packages: Self.unique(merged.flatMap(\.packages) + target.packages + (overrides?.packages ?? [])),
            use: Self.mergeUse(merged.flatMap(\.use) + target.use + (overrides?.use ?? [])),
            services: Self.unique(merged.flatMap(\.services) + target.services + (overrides?.services ?? [])),
            portageDirs: Self.unique(merged.compactMap(\.portage)),
            overlayDirs: Self.unique(merged.compactMap(\.overlay)),
            fsscripts: Self.unique(merged.compactMap(\.fsscript)),
            kernel: target.kernel,
            images: target.images,
            image: target.image,
            publish: target.publish,
            specExtra: target.specExtra,
            vars: target.vars,
            description: target.description,
            contributions: contributions)
        if case .seed = seed { resolved.seedRole = overrides?.seedRole ?? target.seedRole ?? "stable" }
        return resolved
    }

    /// First occurrence wins.
    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    /// One entry per flag name, at its first position, with the sign of its last occurrence.
    static func mergeUse(_ flags: [String]) -> [String] {
        var order: [String] = []
        var last: [String: String] = [:]
        for flag in flags {
            let name = NameRules.useFlagName(flag)
            if last[name] == nil { order.append(name) }
            last[name] = flag
        }
        return order.compactMap { last[$0] }
    }
}
