/// One buildable target node: a target on its own (`stage4/web`), or a
/// member of a fleet that has overrides (`stage4/web@canary`).
public struct TargetVariant: Sendable, Hashable {
    /// The target name, e.g. `vm/test`.
    public var target: String
    /// The fleet whose overrides apply, or nil.
    public var fleet: String?
    /// `stage4/vm/test` or `stage4/vm/test@canary`.
    public var nodeName: String

    public init(target: String, fleet: String?, nodeName: String) {
        self.target = target
        self.fleet = fleet
        self.nodeName = nodeName
    }
}
