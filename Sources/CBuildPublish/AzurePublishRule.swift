import CBuildBasics
import CBuildConfig
import CBuildGraph
import Foundation

/// `azure/NAME`: the fixed VHD `image/NAME.vhd` uploaded as a page blob
/// (`AzurePublisher`), then optionally `image_command` run to make the
/// managed image. Keyed by the VHD's content digest ("image") and the blob
/// name template — not by the SAS URL, which is read only here.
public struct AzurePublishRule: Rule {
    public let imageNode: NodeID
    public let targetName: String
    public let settings: AzurePublishConfig
    public let environment: [String: String]?

    public init(imageNode: NodeID, targetName: String, settings: AzurePublishConfig, environment: [String: String]? = nil) {
        self.imageNode = imageNode; self.targetName = targetName; self.settings = settings; self.environment = environment
    }

    public var recipeName: String { "publish-azure" }
    public var recipeVersion: Int { 1 }
    public var kind: RuleKind { .action }

    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [PublishRuleSupport.settingsInput(targetName: targetName, keyText: settings.keyText)]
    }

    public func inputName(for dependency: NodeID) -> String { dependency == imageNode ? "image" : dependency.name }

    public func adoptableOutputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult], key: NodeKey) throws -> [String]? {
        PublishRuleSupport.adoptableReceipt(context, key: key) { $0.blobURL != nil }
    }

    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        let image = try PublishRuleSupport.image(imageNode, dependencies, context)
        let env = environment ?? ProcessInfo.processInfo.environment
        let log = PublishLog(path: context.logPath)
        // The command refuses this before anything runs (exit 2); never read such a file in any case.
        if let at = settings.unignoredAt {
            throw RuleFailure("\(at): \(settings.unignoredProblem.problem)", logPath: context.logPath)
        }
        do {
            let sas = try AzureSAS.read(root: context.rule.root, file: settings.sasURLFile)
            log.line("publishing \(image) to \(sas)")
            let client = AzureBlobClient(sas: sas, http: URLSessionHTTPClient(maxConnections: settings.concurrency + 2))
            var publisher = AzurePublisher(client: client, settings: settings, events: context.rule.events, log: log,
                                           faults: FaultInjection(environment: env))
            let processes = context.processes
            publisher.isInterrupted = { processes.isInterrupted }
            let blob = PublishConfig.render(settings.name, target: targetName, date: "", keyPrefix: key.short)
            let result = try await publisher.publish(vhd: context.rule.path(image), key: key.description, blob: blob,
                                                     node: context.rule.node.name)
            if let command = settings.imageCommand, !result.reused {
                try runImageCommand(command, root: context.rule.root, env: env, receipt: result.receipt, log: log, logPath: context.logPath)
            }
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

    /// Runs `image_command` in the build directory with the blob's URL (no
    /// SAS) in its environment; its output goes to the node's log.
    func runImageCommand(_ command: [String], root: String, env: [String: String], receipt: PublishReceipt,
                         log: PublishLog, logPath: String) throws {
        log.line("running image_command \(command.joined(separator: " "))")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        var environment = env
        environment["CBUILD_BLOB_URL"] = receipt.blobURL
        environment["CBUILD_BLOB_NAME"] = receipt.name
        environment["CBUILD_KEY"] = receipt.key
        p.environment = environment
        let out = FileHandle(forWritingAtPath: logPath)
        out?.seekToEndOfFile()
        p.standardOutput = out; p.standardError = out
        try p.run()
        p.waitUntilExit()
        try? out?.close()
        guard p.terminationStatus == 0 else {
            throw PublishError.imageCommandFailed(command: command.joined(separator: " "), status: p.terminationStatus)
        }
    }
}
