import CBuildConfig
import CBuildGraph
import CBuildImages
import Foundation

/// The publish nodes of one target (or fleet variant): `ami/NAME` from
/// `image/NAME.raw` when `[publish.aws]` applies, `azure/NAME` from
/// `image/NAME.vhd` when `[publish.azure]` does.
public enum PublishNodes {
    public static func definitions(for target: ResolvedTarget) -> [NodeDefinition] {
        guard target.stage == .stage(4) else { return [] }
        let suffix = NodeID(target.nodeName).rest
        var defs: [NodeDefinition] = []
        if let aws = target.publish.aws, target.images.contains(ImageFormat.raw.rawValue) {
            let image = ImageNodes.imageNode(suffix, .raw)
            defs.append(NodeDefinition(id: NodeID("ami/\(suffix)"),
                                       rule: AMIPublishRule(imageNode: image, targetName: target.name, settings: aws),
                                       dependencies: [image]))
        }
        if let azure = target.publish.azure, target.images.contains(ImageFormat.vhd.rawValue) {
            let image = ImageNodes.imageNode(suffix, .vhd)
            defs.append(NodeDefinition(id: NodeID("azure/\(suffix)"),
                                       rule: AzurePublishRule(imageNode: image, targetName: target.name, settings: azure),
                                       dependencies: [image]))
        }
        return defs
    }

    /// Whether a node is a publish node.
    public static func isPublishNode(_ node: NodeID) -> Bool { node.kind == "ami" || node.kind == "azure" }
}
