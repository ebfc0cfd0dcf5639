import CBuildBasics
import CBuildConfig
import CBuildGraph
import Foundation

/// `spec/T`: the catalyst spec for a resolved target, rendered from its
/// template with roles resolved to dates and seeds resolved to paths.
/// Its inputs are recorded per source file (template, each feature file,
/// the target file, the fleet file, the kernel config) so `--explain` can
/// name the file and the values that changed; its identity is the
/// path-normalised spec text, so an edit that renders the same spec stops
/// there (early cutoff).
public struct SpecRule: Rule {
    public let target: ResolvedTarget
    public let flavor: Int
    /// Relative path of the rendered spec file.
    public let specFile: String
    public let snapshotNode: NodeID
    /// `seed/NAME` or the parent stage's node.
    public let seedNode: NodeID
    public let confdirNode: NodeID?
    public let overlayNode: NodeID?
    public let fsscriptNode: NodeID?

    public init(target: ResolvedTarget, flavor: Int, specFile: String, snapshotNode: NodeID, seedNode: NodeID,
                confdirNode: NodeID?, overlayNode: NodeID?, fsscriptNode: NodeID?) {
        self.target = target; self.flavor = flavor; self.specFile = specFile; self.snapshotNode = snapshotNode
        self.seedNode = seedNode; self.confdirNode = confdirNode; self.overlayNode = overlayNode; self.fsscriptNode = fsscriptNode
    }

    public var recipeName: String { "catalyst-spec" }
    /// 2: the identity covers the files the spec names, not only its text.
    public var recipeVersion: Int { 2 }
    public var kind: RuleKind { .derived }
    public func inputName(for dependency: NodeID) -> String { NeutralInputName.of(dependency) }

    /// `.cache/specs/stage4/vm/test@canary.spec`
    public static func specFile(for node: String) -> String { ".cache/specs/\(node).spec" }

    public var stageNumber: Int {
        if case let .stage(n) = target.stage { return n }
        return 4
    }

    public func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        let targetFile = "targets/\(target.name).toml"
        // Template
        let template: String, templateName: String
        if let t = target.specTemplate {
            guard let data = FileManager.default.contents(atPath: context.path(t)) else {
                throw CatalystError.missingTemplate(file: t, target: target.name)
            }
            template = String(decoding: data, as: UTF8.self); templateName = t
        } else {
            template = BuiltinSpecTemplates.template(stage: stageNumber)
            templateName = BuiltinSpecTemplates.name(stage: stageNumber)
        }
        // Snapshot: the dated file the role resolved to.
        guard let snap = dependencies[snapshotNode], let snapFile = snap.outputs.first?.path else {
            throw RuleFailure("\(snapshotNode) has no file")
        }
        let snapName = (snapFile as NSString).lastPathComponent
        let (date, value) = SpecRule.snapshotValue(fileName: snapName, flavor: flavor)
        // Seed or parent output → source_subpath (relative to storedir/builds, no extension).
        guard let seed = dependencies[seedNode], let seedFile = seed.outputs.first?.path else {
            throw RuleFailure("\(seedNode) has no output to seed from")
        }
        let subpath = SpecRule.sourceSubpath(outputPath: seedFile)

        var r = SpecRequest(targetName: target.name, targetFile: targetFile, stage: stageNumber, flavor: flavor,
                            root: context.root, template: template, templateName: templateName,
                            snapshotDate: date, snapshotValue: value, sourceSubpath: subpath)
        r.profile = Sourced(target.profile, file: origin(of: target.profile, key: "profile"), key: "profile")
        r.subarch = Sourced(target.subarch, file: origin(of: target.subarch, key: "subarch"), key: "subarch")
        r.packages = target.packages.map { Sourced($0, file: origin(of: $0, key: "packages"), key: "packages") }
        r.use = target.use.map { Sourced($0, file: origin(of: $0, key: "use"), key: "use") }
        r.services = target.services.map { Sourced($0, file: origin(of: $0, key: "services"), key: "services") }
        if let n = confdirNode, let d = dependencies[n], !d.outputs.isEmpty {
            r.portageConfdir = context.path(TreeMergeRule.directory(kind: "confdir", outputDigest: d.outputDigest))
        }
        if let n = overlayNode, let d = dependencies[n], !d.outputs.isEmpty {
            r.rootOverlay = context.path(TreeMergeRule.directory(kind: "overlay", outputDigest: d.outputDigest))
        }
        if let n = fsscriptNode, let d = dependencies[n] {
            r.fsscript = context.path(FsscriptRule.path(outputDigest: d.outputDigest))
        }
        if let k = target.kernel, let sources = k.sources {
            r.kernelSources = Sourced(sources, file: targetFile, key: "kernel.sources")
            if let c = k.config { r.kernelConfig = context.path(c) }
        }
        r.specExtra = target.specExtra.map { e in
            switch e.value {
            case let .string(s): return (key: e.key, values: [absolutizeIfInside(s, context)], file: targetFile)
            case let .list(l): return (key: e.key, values: l.map { absolutizeIfInside($0, context) }, file: targetFile)
            }
        }
        r.vars = target.vars
        let rendered = try SpecRenderer.render(r)

        // Inputs for explanations: template, each file's contribution, settings, kernel config.
        var inputs: [NodeInput] = [
            NodeInput(name: "template", digest: ContentHasher.digest(.sha256, template).description,
                      display: template, label: templateName),
        ]
        var bySource: [String: [String]] = [:]
        var order: [String] = []
        for c in target.contributions where c.key != "snapshot" && c.key != "seed_role" && !c.values.isEmpty {
            if bySource[c.source] == nil { order.append(c.source) }
            bySource[c.source, default: []].append("\(c.key): " + c.values.joined(separator: " "))
        }
        for s in order {
            let text = bySource[s]!.joined(separator: "\n")
            inputs.append(NodeInput(name: s, digest: ContentHasher.digest(.sha256, text).description, display: text))
        }
        var settings = ["stage: \(stageNumber)", "profile: \(target.profile)", "subarch: \(target.subarch)"]
        for (k, v) in target.vars.sorted(by: { $0.key < $1.key }) { settings.append("var.\(k): \(v)") }
        for e in r.specExtra { settings.append("spec_extra.\(e.key): " + context.normalize(e.values.joined(separator: " "))) }
        let settingsText = settings.joined(separator: "\n")
        inputs.append(NodeInput(name: "settings", digest: ContentHasher.digest(.sha256, settingsText).description, display: settingsText))
        // Files catalyst reads through a path in the spec: the text names
        // them, their bytes must reach the key too (merged trees and the
        // fsscript carry their digest in their path already).
        var referenced: [(path: String, digest: String)] = []
        if let c = target.kernel?.config {
            let data = FileManager.default.contents(atPath: context.path(c)) ?? Data()
            let digest = ContentHasher.digest(.sha256, [UInt8](data)).description
            inputs.append(NodeInput(name: "kernel-config", digest: digest,
                                    display: String(decoding: data, as: UTF8.self), label: c))
            referenced.append((c, digest))
        }
        for e in target.specExtra {
            let values: [String]
            switch e.value { case let .string(v): values = [v]; case let .list(l): values = l }
            for v in values where absolutizeIfInside(v, context) != v {
                let (digest, display) = try SpecRule.contentDigest(of: v, context)
                inputs.append(NodeInput(name: "spec_extra:\(v)", digest: digest, display: display, label: v))
                referenced.append((v, digest))
            }
        }
        let identity = ContentHasher(.sha256)
        identity.update(rendered.normalizedText)
        for r in referenced { identity.update("\0\(r.path)\0\(r.digest)") }
        return Evaluation(inputs: inputs, outputDigest: identity.finalize().description,
                          display: rendered.normalizedText, files: [PendingFile(path: specFile, text: rendered.text)])
    }

    /// The content digest of a file or directory inside the build directory
    /// that a spec names, and a display for small text files (so `explain`
    /// can show the changed lines).
    static func contentDigest(of relative: String, _ context: RuleContext) throws -> (String, String?) {
        let full = context.path(relative)
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
        if isDir.boolValue {
            let digests = context.digests
            let tree = try TreeHasher(fileDigests: { paths in try paths.map { try digests.digest(of: $0) } }).hash(full)
            return (tree.digest.description, nil)
        }
        let digest = try context.digests.digest(of: full).description
        guard let st = try? FileStat.of(full, followSymlinks: true), st.size <= 16_384,
              let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8) else {
            return (digest, nil)
        }
        return (digest, text)
    }

    /// The file that supplied `value` for `key` (last contribution wins), else the target file.
    private func origin(of value: String, key: String) -> String {
        target.contributions.last { $0.key == key && $0.values.contains(value) }?.source ?? "targets/\(target.name).toml"
    }

    private func absolutizeIfInside(_ v: String, _ context: RuleContext) -> String {
        guard !v.hasPrefix("/"), v.contains("/"), PathSafety.lexicalViolation(v) == nil,
              FileManager.default.fileExists(atPath: context.path(v)) else { return v }
        return context.path(v)
    }

    /// `gentoo-20261124.xz.sqfs` → ("20261124", "20261124.xz") for flavour 4;
    /// `portage-20261124.tar.xz` → ("20261124", "20261124") for flavour 3.
    public static func snapshotValue(fileName: String, flavor: Int) -> (date: String, value: String) {
        var stem = fileName
        if let dash = stem.firstIndex(of: "-") { stem = String(stem[stem.index(after: dash)...]) }
        if flavor == 4 {
            if stem.hasSuffix(".sqfs") { stem = String(stem.dropLast(5)) }
            let date = String(stem.prefix { $0.isNumber })
            return (date, stem)
        }
        let date = String(stem.prefix { $0.isNumber })
        return (date, date)
    }

    /// `artifacts/builds/seeds/stage3-amd64-openrc-20261124T170000Z.tar.xz` →
    /// `seeds/stage3-amd64-openrc-20261124T170000Z.tar.xz`. The extension is
    /// kept: catalyst's lookup of `<source_subpath>.*` is ambiguous when a
    /// seed's `.asc` (or, for catalyst 3, a stage's `.sha256`) sits beside it,
    /// while a full file name is taken as it is.
    public static func sourceSubpath(outputPath: String) -> String {
        outputPath.hasPrefix("artifacts/builds/") ? String(outputPath.dropFirst("artifacts/builds/".count)) : outputPath
    }
}
