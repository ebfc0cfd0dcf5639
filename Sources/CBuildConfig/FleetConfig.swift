/// A named group of targets built together: `fleets/canary.toml` is the
/// node `fleet/canary`. With `[overrides]`, each member is built as its own
/// variant `stage4/NAME@canary`; the fleet's name itself never changes what
/// is built, so a variant equal to a plain build shares its output.
public struct FleetConfig: Sendable, Hashable {
    public var name: String
    /// `fleets/canary.toml`.
    public var file: String
    /// Target names, in the file's order.
    public var members: [String]
    /// Nil when the file has no `[overrides]` or an empty one.
    public var overrides: FleetOverrides?
    public var description: String?

    /// Whether members are built as variants `…@FLEET`.
    public var hasOverrides: Bool { overrides != nil }

    /// `fleet/canary`.
    public var nodeName: String { "fleet/" + name }

    static let allowedKeys = ["members", "overrides", "description"]

    init(name: String, reading document: TOMLDocument) throws {
        let r = document.reader
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        self.name = name
        file = document.file
        guard r.has("members") else { throw r.missing("members", expected: "a list of target names") }
        members = try r.names("members", kind: "target", allowSlash: true)
        guard !members.isEmpty else { throw r.invalid("members", "a fleet needs at least one member") }
        if let table = try r.table("overrides"), !table.isEmpty {
            overrides = try FleetOverrides(reading: table)
        } else {
            overrides = nil
        }
        description = try r.string("description")
    }
}
