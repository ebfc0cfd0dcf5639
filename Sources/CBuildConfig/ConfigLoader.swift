import CBuildBasics
import Foundation

/// Reads a build directory's files and checks everything that spans files,
/// in a fixed order so the same directory always reports the same first
/// error: cbuild.toml, then features/, targets/ and fleets/ (each sorted by
/// path, keys in the order each type reads them), then references between
/// files — feature requires and their cycles, target features and seeds and
/// seed cycles, duplicate node names, fleet members and features, and the
/// node names in `[project] default` and `[nightly]`.
struct ConfigLoader {
    let directory: BuildDirectory
    let rules: PathRules
    private var documents: [String: TOMLDocument] = [:]

    init(directory: BuildDirectory) {
        self.directory = directory
        rules = PathRules(directory: directory)
    }

    mutating func load() throws -> BuildConfiguration {
        let projectDocument = try document(BuildDirectory.configFileName)
        let project = try ProjectConfig(reading: projectDocument, rules: rules)

        var features: [String: FeatureConfig] = [:]
        for (name, file) in try definitionFiles(under: "features", kind: "feature", nested: false) {
            features[name] = try FeatureConfig(name: name, reading: try document(file), rules: rules)
        }
        var targets: [String: TargetConfig] = [:]
        for (name, file) in try definitionFiles(under: "targets", kind: "target", nested: true) {
            targets[name] = try TargetConfig(name: name, reading: try document(file),
                                             flavor: project.catalyst.flavor, rules: rules,
                                             projectPublish: project.publish)
        }
        var fleets: [String: FleetConfig] = [:]
        for (name, file) in try definitionFiles(under: "fleets", kind: "fleet", nested: false) {
            fleets[name] = try FleetConfig(name: name, reading: try document(file))
        }

        try checkFeatures(features)
        try checkTargets(targets, features: features, project: project)
        try checkFleets(fleets, targets: targets, features: features)

        let resolver = TargetResolver(targets: targets, features: features)
        var variants: [TargetVariant] = []
        var resolved: [String: ResolvedTarget] = [:]
        for name in targets.keys.sorted() {
            let r = resolver.resolve(targets[name]!, fleet: nil)
            variants.append(TargetVariant(target: name, fleet: nil, nodeName: r.nodeName))
            resolved[r.nodeName] = r
        }
        for fleetName in fleets.keys.sorted() {
            let fleet = fleets[fleetName]!
            guard fleet.hasOverrides else { continue }
            for member in fleet.members {
                let r = resolver.resolve(targets[member]!, fleet: fleet)
                variants.append(TargetVariant(target: member, fleet: fleetName, nodeName: r.nodeName))
                resolved[r.nodeName] = r
            }
        }

        let configuration = BuildConfiguration(directory: directory, project: project, targets: targets,
                                               features: features, fleets: fleets, variants: variants,
                                               resolvedByNode: resolved)
        try checkNodeLists(configuration, document: projectDocument)
        return configuration
    }

    // MARK: Files

    private mutating func document(_ file: String) throws -> TOMLDocument {
        if let cached = documents[file] { return cached }
        let parsed = try TOMLDocument.load(file, in: directory)
        documents[file] = parsed
        return parsed
    }

    /// `(name, file)` for every `*.toml` under `folder`, sorted by path;
    /// hidden files are skipped, a missing folder has none.
    private func definitionFiles(under folder: String, kind: String, nested: Bool) throws -> [(String, String)] {
        let base = directory.path(folder)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else {
            return []
        }
        if let violation = PathSafety.violation(folder, under: directory.root) {
            throw ConfigError.invalidFileName(SourceLocation(file: folder), problem: "\(folder)/: \(violation)")
        }
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var found: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            let components = relative.split(separator: "/").map(String.init)
            if components.contains(where: { $0.hasPrefix(".") }) { continue }
            guard relative.hasSuffix(".toml") else { continue }
            let file = folder + "/" + relative
            let location = SourceLocation(file: file)
            let name = String(relative.dropLast(".toml".count))
            if !nested && components.count > 1 {
                throw ConfigError.invalidFileName(location, problem: "\(kind) files live directly in \(folder)/, not in a subdirectory")
            }
            guard nested ? NameRules.isPathName(name) : NameRules.isName(name) else {
                throw ConfigError.invalidFileName(location,
                    problem: "'\(name)' is not a valid \(kind) name: use letters, digits, '.', '_', '+', '-'"
                        + (nested ? " and '/' between directories" : ""))
            }
            if let violation = PathSafety.violation(file, under: directory.root) {
                throw ConfigError.invalidFileName(location, problem: "\(file): \(violation)")
            }
            var fileIsDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory.path(file), isDirectory: &fileIsDirectory)
            if !exists || fileIsDirectory.boolValue { continue }
            found.append((name, file))
        }
        return found.sorted { $0.1 < $1.1 }
    }

    private func location(_ file: String, _ path: TOMLPath) -> SourceLocation {
        documents[file]?.location(path) ?? SourceLocation(file: file)
    }

    // MARK: References

    private func checkFeatures(_ features: [String: FeatureConfig]) throws {
        let names = features.keys.sorted()
        for name in names {
            let feature = features[name]!
            for (index, required) in feature.requires.enumerated() where features[required] == nil {
                throw ConfigError.unknownReference(location(feature.file, [.key("requires"), .index(index)]),
                                                   key: "requires", kind: "feature", name: required, candidates: names)
            }
        }
        if let cycle = CycleFinder.firstCycle(nodes: names, edges: { features[$0]?.requires ?? [] }) {
            let closing = features[cycle[cycle.count - 2]]!
            let index = closing.requires.firstIndex(of: cycle.last!) ?? 0
            throw ConfigError.cycle(location(closing.file, [.key("requires"), .index(index)]),
                                    kind: "features", members: cycle)
        }
    }

    private func checkTargets(_ targets: [String: TargetConfig], features: [String: FeatureConfig],
                              project: ProjectConfig) throws {
        let names = targets.keys.sorted()
        let featureNames = features.keys.sorted()
        let byNode = Dictionary(uniqueKeysWithValues: targets.values.map { ($0.nodeName, $0) })
        let nodeNames = byNode.keys.sorted()
        var flattened: [String: TargetConfig] = [:]
        for name in names {
            let target = targets[name]!
            let flat = name.replacingOccurrences(of: "/", with: "-").lowercased()
            if let other = flattened[flat] {
                throw ConfigError.duplicateNode(location(target.file, [.key("stage")]), node: target.nodeName,
                                                otherFile: "\(other.file) (names must differ when '/' is read as '-' and case is ignored)")
            }
            flattened[flat] = target
            for (index, feature) in target.features.enumerated() where features[feature] == nil {
                throw ConfigError.unknownReference(location(target.file, [.key("features"), .index(index)]),
                                                   key: "features", kind: "feature", name: feature, candidates: featureNames)
            }
            switch target.seed {
            case let .seed(seedName):
                if project.seed(named: seedName) == nil {
                    throw ConfigError.unknownReference(location(target.file, [.key("seed")]), key: "seed", kind: "seed",
                                                       name: seedName, candidates: project.seeds.map(\.name))
                }
            case let .target(node):
                if byNode[node] == nil {
                    throw ConfigError.unknownReference(location(target.file, [.key("seed")]), key: "seed",
                                                       kind: "target node", name: node,
                                                       candidates: nodeNames + project.seeds.map(\.nodeName))
                }
            }
        }
        let seedEdges: (String) -> [String] = { node in
            if case let .target(seedNode)? = byNode[node]?.seed { return [seedNode] }
            return []
        }
        if let cycle = CycleFinder.firstCycle(nodes: names.map { targets[$0]!.nodeName }, edges: seedEdges) {
            let closing = byNode[cycle[cycle.count - 2]]!
            throw ConfigError.cycle(location(closing.file, [.key("seed")]), kind: "target seeds", members: cycle)
        }
    }

    private func checkFleets(_ fleets: [String: FleetConfig], targets: [String: TargetConfig],
                             features: [String: FeatureConfig]) throws {
        let targetNames = targets.keys.sorted()
        for name in fleets.keys.sorted() {
            let fleet = fleets[name]!
            for (index, member) in fleet.members.enumerated() where targets[member] == nil {
                throw ConfigError.unknownReference(location(fleet.file, [.key("members"), .index(index)]),
                                                   key: "members", kind: "target", name: member, candidates: targetNames)
            }
            for (index, feature) in (fleet.overrides?.features ?? []).enumerated() where features[feature] == nil {
                throw ConfigError.unknownReference(
                    location(fleet.file, [.key("overrides"), .key("features"), .index(index)]),
                    key: "overrides.features", kind: "feature", name: feature, candidates: features.keys.sorted())
            }
        }
    }

    /// `[project] default`, `[nightly] targets` and `optional` must name nodes that exist.
    private func checkNodeLists(_ configuration: BuildConfiguration, document: TOMLDocument) throws {
        let lists: [(TOMLPath, [String])] = [
            ([.key("project"), .key("default")], configuration.project.defaultNodes),
            ([.key("nightly"), .key("targets")], configuration.project.nightly.targets),
            ([.key("nightly"), .key("optional")], configuration.project.nightly.optional),
        ]
        for (path, nodes) in lists {
            for (index, node) in nodes.enumerated() where !configuration.isKnownNodeName(node) {
                throw ConfigError.unknownReference(document.location(path + [.index(index)]), key: path.rendered,
                                                   kind: "node", name: node, candidates: configuration.knownNodeNames)
            }
        }
    }
}
