import CBuildBasics
import CBuildConfig
import CBuildGraph
import Foundation

/// `test/NAME`: boots the target's first listed image format under QEMU
/// (`BootTester`) and passes when the boot marker appears. Its key is the
/// image's content digest plus the marker and timeout, so a passed test is
/// not repeated until the image or the test changes. The console goes to
/// the node's log; a failure keeps it there and fails the node (exit 1).
public struct BootTestRule: Rule {
    public let imageNode: NodeID
    public let targetName: String
    public let format: ImageFormat
    public let settings: ImageConfig

    public init(imageNode: NodeID, targetName: String, format: ImageFormat, settings: ImageConfig) {
        self.imageNode = imageNode; self.targetName = targetName; self.format = format; self.settings = settings
    }

    public var recipeName: String { "boot-test" }
    /// 2: qemu's version and the OVMF firmware's content are inputs.
    public var recipeVersion: Int { 2 }
    public func recipeNote(since recipe: String) -> String? {
        recipe.hasSuffix("@1") ? "key scheme changed: qemu's version and the OVMF firmware are now inputs" : nil
    }
    public var kind: RuleKind { .action }

    var settingsText: String {
        "marker=\(settings.bootMarker)\ntimeout=\(settings.bootTimeout)\nmemory=\(settings.bootMemory)\nformat=\(format.rawValue)"
    }

    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        let firmware = try Firmware.find()
        return [NodeInput(name: "boot-settings", digest: ContentHasher.digest(.sha256, settingsText).description,
                          display: settingsText.replacingOccurrences(of: "\n", with: ", ")),
                try ImageTools.input(ImageTools.boot, context),
                NodeInput(name: "firmware", digest: try context.digests.digest(of: firmware.code).description, display: firmware.code)]
    }

    public func inputName(for dependency: NodeID) -> String { dependency == imageNode ? "image" : dependency.name }

    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        guard let image = dependencies[imageNode]?.outputs.first?.path else {
            throw ImageError.missingDependency(node: context.rule.node.name, dependency: imageNode.name)
        }
        let ctx = context.rule
        let scratch = ctx.path("artifacts/tmp/images/" + ctx.node.name.replacingOccurrences(of: "/", with: "_") + "-" + context.runId)
        let output = "artifacts/tests/\(targetName)-\(key.short).console.log"
        let tester = BootTester(settings: settings)
        let node = ctx.node.name, events = ctx.events
        events.emit(.nodeProgress(node: node, detail: "booting \(imageNode) (marker \"\(settings.bootMarker)\")"))
        let result = try await Blocking.run {
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            return try tester.boot(image: ctx.path(image), format: format, logPath: context.logPath, scratch: scratch,
                                   registry: context.processes)
        }
        guard result.passed else {
            throw ImageError.bootFailed(image: imageNode.name, problem: result.problem ?? "failed", log: context.logPath)
        }
        try FileManager.default.createDirectory(atPath: (ctx.path(output) as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: ctx.path(output))
        try FileManager.default.copyItem(atPath: context.logPath, toPath: ctx.path(output))
        return [output]
    }
}
