/// `[nightly]` of cbuild.toml: what `cbuild nightly` builds on the
/// `testing` snapshot before promoting it, and which failures do not block.
public struct NightlyConfig: Sendable, Hashable {
    /// Node names; default: `[project] default`.
    public var targets: [String]
    /// Nodes that may fail without blocking promotion.
    public var optional: [String]

    public init(targets: [String], optional: [String] = []) {
        self.targets = targets
        self.optional = optional
    }

    static let allowedKeys = ["targets", "optional"]

    init(reading table: TableReader?, defaultTargets: [String]) throws {
        guard let r = table else { self.init(targets: defaultTargets); return }
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        self.init(targets: try r.strings("targets") ?? defaultTargets, optional: try r.strings("optional") ?? [])
    }
}
