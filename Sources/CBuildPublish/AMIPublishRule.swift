import CBuildBasics
import CBuildConfig
import CBuildGraph
import Foundation

/// `ami/NAME`: the raw image `image/NAME.raw` published as an AMI
/// (`AMIPublisher`). An action keyed by the image's content digest (as
/// "image", whatever the variant) and the `[publish.aws]` settings that
/// change the result — never by credentials. The output is the receipt
/// (`PublishReceipt`); the AMI is found again by its key tag, so a lost
/// state database costs one DescribeImages, not an upload.
public struct AMIPublishRule: Rule {
    public let imageNode: NodeID
    public let targetName: String
    public let settings: AWSPublishConfig
    /// Where credentials and test hooks are read (nil: the process environment).
    public let environment: [String: String]?

    public init(imageNode: NodeID, targetName: String, settings: AWSPublishConfig, environment: [String: String]? = nil) {
        self.imageNode = imageNode; self.targetName = targetName; self.settings = settings; self.environment = environment
    }

    public var recipeName: String { "publish-ami" }
    public var recipeVersion: Int { 1 }
    public var kind: RuleKind { .action }

    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [PublishRuleSupport.settingsInput(targetName: targetName, keyText: settings.keyText)]
    }

    public func inputName(for dependency: NodeID) -> String { dependency == imageNode ? "image" : dependency.name }

    public func adoptableOutputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult], key: NodeKey) throws -> [String]? {
        PublishRuleSupport.adoptableReceipt(context, key: key) { $0.imageID != nil }
    }

    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        let image = try PublishRuleSupport.image(imageNode, dependencies, context)
        let env = environment ?? ProcessInfo.processInfo.environment
        let log = PublishLog(path: context.logPath)
        do {
            let credentials = try AWSCredentials.resolve(environment: env)
            log.line("publishing \(image) to \(settings.endpoint ?? "AWS") region \(settings.region) with \(credentials)")
            let http = URLSessionHTTPClient(maxConnections: settings.concurrency + 2)
            let ec2 = EC2Client(region: settings.region, endpoint: settings.endpoint, credentials: credentials, http: http)
            let ebs = EBSClient(region: settings.region, endpoint: settings.endpoint, credentials: credentials, http: http)
            var publisher = AMIPublisher(ec2: ec2, ebs: ebs, settings: settings, events: context.rule.events, log: log,
                                         faults: FaultInjection(environment: env))
            let processes = context.processes
            publisher.isInterrupted = { processes.isInterrupted }
            let name = PublishConfig.render(settings.name, target: targetName, date: Self.day(Date()), keyPrefix: key.short)
            let result = try await publisher.publish(image: context.rule.path(image), key: key.description, name: name,
                                                     node: context.rule.node.name)
            let path = PublishReceipt.path(node: context.rule.node.name, keyShort: key.short)
            try result.receipt.write(root: context.rule.root, path: path)
            log.line("receipt \(path): \(result.receipt.summary)")
            return [path]
        } catch let error as RuleFailure {
            throw error
        } catch {
            log.line("failed: \(error)")
            throw RuleFailure("\(error)", logPath: context.logPath, interrupted: context.processes.isInterrupted)
        }
    }

    /// `20261201` (UTC).
    static func day(_ date: Date) -> String { String(SigV4Signer.timestamp(date).prefix(8)) }
}
