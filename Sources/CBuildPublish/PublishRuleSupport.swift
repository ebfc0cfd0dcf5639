import CBuildBasics
import CBuildGraph

/// What `ami/NAME` and `azure/NAME` do alike: the settings input of their
/// key, the image they publish, and adopting a receipt left on disk.
enum PublishRuleSupport {
    /// The "publish-settings" input: the target and the settings that change the result.
    static func settingsInput(targetName: String, keyText: String) -> NodeInput {
        let text = "target=\(targetName)\n" + keyText
        return NodeInput(name: "publish-settings", digest: ContentHasher.digest(.sha256, text).description,
                         display: text.replacingOccurrences(of: "\n", with: ", "))
    }

    /// The image node's output, relative to the build directory.
    static func image(_ imageNode: NodeID, _ dependencies: [NodeID: DependencyResult], _ context: RunContext) throws -> String {
        guard let image = dependencies[imageNode]?.outputs.first?.path else {
            throw RuleFailure("\(context.rule.node): \(imageNode) has no output")
        }
        return image
    }

    /// The receipt of exactly this key, when it is on disk and `complete` says it names what was published.
    static func adoptableReceipt(_ context: RuleContext, key: NodeKey, complete: (PublishReceipt) -> Bool) -> [String]? {
        let path = PublishReceipt.path(node: context.node.name, keyShort: key.short)
        guard let r = PublishReceipt.read(root: context.root, path: path), r.key == key.description, complete(r) else { return nil }
        return [path]
    }
}
