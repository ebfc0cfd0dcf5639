import CBuildConfig
import CBuildGraph
import Foundation

/// The image nodes of one target (or fleet variant) that lists `images`:
/// `image/NAME.raw` from `stage4/NAME`, one converted node per other
/// format, and `test/NAME` booting the first listed format. NAME keeps a
/// fleet variant's `@FLEET`; keys do not (the stage4 enters as "stage4").
public enum ImageNodes {
    /// Empty for targets without images.
    public static func definitions(for target: ResolvedTarget,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> [NodeDefinition] {
        let formats = target.images.compactMap(ImageFormat.init(rawValue:))
        guard !formats.isEmpty, target.stage == .stage(4) else { return [] }
        let stage = NodeID(target.nodeName)
        let suffix = stage.rest
        let epoch = environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil }
        let raw = imageNode(suffix, .raw)
        var defs = [NodeDefinition(id: raw, rule: RawImageRule(stageNode: stage, targetName: target.name,
                                                               settings: target.image, sourceDateEpoch: epoch),
                                   dependencies: [stage])]
        for format in formats where format != .raw {
            defs.append(NodeDefinition(id: imageNode(suffix, format),
                                       rule: ConvertedImageRule(rawNode: raw, targetName: target.name, format: format,
                                                                compress: target.image.compress, sourceDateEpoch: epoch),
                                       dependencies: [raw]))
        }
        let tested = imageNode(suffix, formats[0])
        defs.append(NodeDefinition(id: NodeID("test/\(suffix)"),
                                   rule: BootTestRule(imageNode: tested, targetName: target.name, format: formats[0],
                                                      settings: target.image),
                                   dependencies: [tested]))
        return defs
    }

    /// `image/vm/test.qcow2`.
    public static func imageNode(_ suffix: String, _ format: ImageFormat) -> NodeID {
        NodeID("image/\(suffix).\(format.fileExtension)")
    }

    /// The format an image node name ends in, or nil.
    public static func format(of node: NodeID) -> ImageFormat? {
        guard node.kind == "image", let dot = node.name.lastIndex(of: ".") else { return nil }
        return ImageFormat(rawValue: String(node.name[node.name.index(after: dot)...]))
    }
}

extension ImageNodes {
    /// The `[image]` settings behind an image node (through its raw node), or nil.
    public static func settings(for node: NodeID, in graph: BuildGraph) -> ImageConfig? {
        guard let format = format(of: node) else { return nil }
        let raw = NodeID(String(node.name.dropLast(format.fileExtension.count)) + ImageFormat.raw.fileExtension)
        return (graph[raw]?.rule as? RawImageRule)?.settings
    }

    /// Every image node of a graph, sorted.
    public static func all(in graph: BuildGraph) -> [NodeID] {
        graph.allIDs.filter { format(of: $0) != nil }
    }
}
