import CBuildBasics

/// One buildable machine or stage: `targets/vm/test.toml` is the target
/// `vm/test` and the node `stage4/vm/test` (SPEC section 5). As written in
/// its file, validated; `ResolvedTarget` is the target with its features
/// and a fleet's overrides merged in.
public struct TargetConfig: Sendable, Hashable {
    /// The file's path under `targets/` without `.toml`: `vm/test`.
    public var name: String
    /// The file, relative to the build directory: `targets/vm/test.toml`.
    public var file: String
    public var stage: StageKind
    /// `seed/NAME` or another target's node (`stage4/base`).
    public var seed: SeedReference
    /// The snapshot role the target builds on; default `stable`.
    public var snapshot: String
    /// The seed role (`seed_role`) of a `seed/NAME` seed; nil = `stable`.
    public var seedRole: String?
    /// Whether the file writes `snapshot` (for `--explain`).
    public var snapshotIsExplicit: Bool
    /// The portage profile, e.g. `default/linux/amd64/23.0`.
    public var profile: String
    /// catalyst's subarch, e.g. `amd64`.
    public var subarch: String
    /// Spec template path; nil means the built-in default for the stage.
    public var spec: String?
    public var features: [String]
    public var packages: [String]
    public var use: [String]
    public var services: [String]
    public var kernel: KernelConfig?
    /// Image formats derived from the stage (`qcow2`, `raw`, …); checked by the image rules.
    public var images: [String]
    /// The `[image]` table (defaults when absent).
    public var image: ImageConfig
    /// `[publish.*]` merged over cbuild.toml's (docs/publish.md).
    public var publish: PublishConfig
    /// Raw spec keys, in file order.
    public var specExtra: [SpecExtraEntry]
    /// Per-target template variables: `NAME` is written `@NAME@` in templates.
    public var vars: [String: String]
    public var description: String?

    /// `stage4/vm/test` (`diskimage/NAME` for a disk image).
    public var nodeName: String { stage.nodeName(for: name) }

    public static let defaultSnapshotRole = "stable"

    static let allowedKeys = ["stage", "seed", "seed_role", "snapshot", "profile", "subarch", "spec", "features", "packages",
                              "use", "services", "kernel", "images", "image", "spec_extra", "vars", "description", "publish"]
    static let kernelKeys = ["config", "sources"]

    init(name: String, reading document: TOMLDocument, flavor: Int, rules: PathRules,
         projectPublish: PublishConfig = PublishConfig()) throws {
        let r = document.reader
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        self.name = name
        file = document.file
        stage = try Self.stage(r, flavor: flavor)
        let seedText = try r.requiredString("seed", expected: "\"seed/NAME\" or another target's node such as \"stage4/base\"")
        guard let seed = Self.seedReference(seedText) else {
            throw r.invalid("seed", "'\(seedText)' names neither a seed nor a target node",
                            hint: "write \"seed/NAME\" for [seeds.NAME] or \"stageN/TARGET\" for another target's output")
        }
        self.seed = seed
        seedRole = try r.role("seed_role")
        if seedRole != nil, case .target = seed {
            throw r.invalid("seed_role", "seed_role applies to a downloaded seed (\"seed/NAME\"), but this target is seeded from \(seedText)",
                            hint: "remove seed_role, or set it on the target that starts from seed/NAME")
        }
        snapshotIsExplicit = r.has("snapshot")
        snapshot = try r.role("snapshot") ?? Self.defaultSnapshotRole
        profile = try r.requiredString("profile", expected: "the portage profile, e.g. \"default/linux/amd64/23.0\"")
        guard !profile.isEmpty, !NameRules.hasSpaceOrComment(profile), !profile.hasPrefix("/") else {
            throw r.invalid("profile", "'\(profile)' is not a profile path", hint: "e.g. \"default/linux/amd64/23.0\"")
        }
        subarch = try r.requiredString("subarch", expected: "catalyst's subarch, e.g. \"amd64\"")
        guard NameRules.isName(subarch) else { throw r.invalid("subarch", "'\(subarch)' is not a subarch name") }
        spec = try r.path("spec", kind: .file, rules: rules)
        features = try r.names("features", kind: "feature")
        packages = try r.atoms("packages")
        use = try r.useFlags("use")
        services = try r.services("services")
        kernel = try Self.kernel(r, rules: rules)
        images = try Self.images(r, stage: stage)
        image = try ImageConfig(reading: r.table("image"))
        publish = try Self.publish(r, images: images, base: projectPublish, rules: rules)
        specExtra = try Self.specExtra(r)
        vars = try Self.vars(r)
        description = try r.string("description")
    }

    /// `seed/NAME` → `.seed`, `stage1`…`stage4/NAME` → `.target`; anything else nil.
    static func seedReference(_ text: String) -> SeedReference? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let prefix = String(text[..<slash]), rest = String(text[text.index(after: slash)...])
        if prefix == "seed" { return NameRules.isName(rest) ? .seed(rest) : nil }
        guard case .stage? = StageKind(nodePrefix: prefix), NameRules.isPathName(rest) else { return nil }
        return .target(text)
    }

    private static func stage(_ r: TableReader, flavor: Int) throws -> StageKind {
        let expected = "an integer 1 to 4 or \"diskimage\""
        guard let value = r.node("stage") else { throw r.missing("stage", expected: expected) }
        switch value {
        case let .integer(n):
            guard (1...4).contains(n) else { throw r.invalid("stage", "\(n) is not a stage", hint: "use 1, 2, 3, 4 or \"diskimage\"") }
            return .stage(n)
        case .string("diskimage"):
            guard flavor >= 4 else {
                throw r.invalid("stage", "catalyst flavour \(flavor) has no diskimage target",
                                hint: "set [catalyst] flavor = 4 in cbuild.toml")
            }
            return .diskimage
        case let .string(s):
            throw r.invalid("stage", "'\(s)' is not a stage", hint: "use 1, 2, 3, 4 or \"diskimage\"")
        default:
            throw r.wrongType("stage", expected: expected, found: value)
        }
    }

    /// Formats from `ImageConfig.formats`; images are made from a stage4.
    private static func images(_ r: TableReader, stage: StageKind) throws -> [String] {
        let images = try r.names("images", kind: "image format")
        for (index, format) in images.enumerated() where !ImageConfig.formats.contains(format) {
            throw r.invalid("images", index: index, "'\(format)' is not an image format",
                            hint: Suggest.didYouMean(format, among: ImageConfig.formats)
                                ?? "use " + ImageConfig.formats.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        if !images.isEmpty && stage != .stage(4) {
            throw r.invalid("images", "disk images are made from a stage4; this target builds \(stage)",
                            hint: "list images on a stage = 4 target")
        }
        return images
    }

    /// A target's own `[publish.aws]` needs a raw image, `[publish.azure]` a VHD.
    private static func publish(_ r: TableReader, images: [String], base: PublishConfig, rules: PathRules) throws -> PublishConfig {
        let table = try r.table("publish")
        let publish = try PublishConfig(reading: table, base: base, rules: rules)
        for (provider, format) in [("aws", "raw"), ("azure", "vhd")] where !images.contains(format) {
            if let t = table, t.has(provider) {
                throw t.invalid(provider, "publishing to \(provider == "aws" ? "AWS" : "Azure") needs a \(format) image, and images does not list \"\(format)\"",
                                hint: "add \"\(format)\" to images")
            }
        }
        return publish
    }

    private static func kernel(_ r: TableReader, rules: PathRules) throws -> KernelConfig? {
        guard let k = try r.table("kernel") else { return nil }
        try k.rejectUnknownKeys(allowed: kernelKeys)
        let config = try k.path("config", kind: .file, rules: rules)
        let sources = try k.string("sources")
        if let sources, !NameRules.isAtom(sources) {
            throw k.invalid("sources", "'\(sources)' is not a package atom", hint: "e.g. \"sys-kernel/gentoo-kernel\"")
        }
        return config == nil && sources == nil ? nil : KernelConfig(config: config, sources: sources)
    }

    private static func specExtra(_ r: TableReader) throws -> [SpecExtraEntry] {
        guard let t = try r.table("spec_extra") else { return [] }
        return try t.entries.map { entry in
            let key = entry.key
            guard !key.isEmpty, !NameRules.hasSpaceOrComment(key), !key.contains(":") else {
                throw t.invalid(key, "'\(key)' is not a catalyst spec key")
            }
            switch entry.value {
            case .string:
                return SpecExtraEntry(key: key, value: .string(try t.specSafeString(key) ?? ""))
            case .array:
                let values = try t.strings(key) ?? []
                for (index, value) in values.enumerated() where value.isEmpty || NameRules.hasSpaceOrComment(value) {
                    throw t.invalid(key, index: index, "'\(value)' is empty or contains a space, '#' or a line break",
                                    hint: "a list element is one word on its own line in the spec")
                }
                return SpecExtraEntry(key: key, value: .list(values))
            default:
                throw t.wrongType(key, expected: "a string or an array of strings", found: entry.value)
            }
        }
    }

    private static func vars(_ r: TableReader) throws -> [String: String] {
        guard let t = try r.table("vars") else { return [:] }
        var vars: [String: String] = [:]
        for entry in t.entries {
            let key = entry.key
            guard NameRules.isVariable(key) else {
                throw t.invalid(key, "'\(key)' is not a variable name", hint: "use UPPER_SNAKE_CASE, written @\(key.uppercased())@ in templates")
            }
            guard !NameRules.builtinTokens.contains(key) else {
                throw t.invalid(key, "'\(key)' is a built-in token", hint: "built-in tokens: " + NameRules.builtinTokens.joined(separator: ", "))
            }
            vars[key] = try t.specSafeString(key)
        }
        return vars
    }
}
