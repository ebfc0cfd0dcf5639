/// What catalyst builds for a target: stage 1 to 4, or a disk image where
/// the catalyst flavour has one (flavour 4). Decides the node name prefix.
public enum StageKind: Sendable, Hashable, CustomStringConvertible {
    case stage(Int)
    case diskimage

    /// `stage4`, `diskimage`: the first part of the target's node name.
    public var nodePrefix: String {
        switch self {
        case let .stage(n): return "stage\(n)"
        case .diskimage: return "diskimage"
        }
    }

    public var description: String { nodePrefix }

    /// `stage4/vm/test`.
    public func nodeName(for target: String) -> String { nodePrefix + "/" + target }

    /// The kind a node-name prefix stands for (`stage3` → `.stage(3)`), or nil.
    public init?(nodePrefix: String) {
        switch nodePrefix {
        case "stage1": self = .stage(1)
        case "stage2": self = .stage(2)
        case "stage3": self = .stage(3)
        case "stage4": self = .stage(4)
        case "diskimage": self = .diskimage
        default: return nil
        }
    }
}
