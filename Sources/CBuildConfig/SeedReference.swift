/// Where a target's build starts from: a downloaded seed (`seed/NAME`,
/// from `[seeds.NAME]`) or the output of another target's node
/// (`stage4/base`, or a fleet variant `stage4/base@canary`).
public enum SeedReference: Sendable, Hashable, CustomStringConvertible {
    /// A seed name from `[seeds.NAME]`.
    case seed(String)
    /// A target node name.
    case target(String)

    /// The node this seed is: `seed/NAME` or the target node name.
    public var nodeName: String {
        switch self {
        case let .seed(name): return "seed/" + name
        case let .target(node): return node
        }
    }

    public var description: String { nodeName }
}
