import CBuildBasics
import CBuildGraph
import Foundation

/// The `init` node: `.cache/catalyst/catalyst.conf` and `catalystrc`
/// rendered with this directory's absolute paths. Its identity (what stage
/// keys hash) is the path-normalised text, so a moved directory re-renders
/// the files and rebuilds nothing.
public struct InitRule: Rule {
    public let conf: CatalystConf
    /// Directory-local template texts and their names (nil: built in).
    public let confTemplate: (name: String, text: String)?
    public let envscriptTemplate: (name: String, text: String)?

    public init(conf: CatalystConf, confTemplate: (name: String, text: String)?, envscriptTemplate: (name: String, text: String)?) {
        self.conf = conf; self.confTemplate = confTemplate; self.envscriptTemplate = envscriptTemplate
    }

    public var recipeName: String { "catalyst-conf" }
    public var recipeVersion: Int { 1 }
    public var kind: RuleKind { .derived }

    public static let confFile = ".cache/catalyst/catalyst.conf"
    public static let envscriptFile = ".cache/catalyst/catalystrc"

    public func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        let confText = try conf.renderConf(template: confTemplate?.text,
                                           templateName: confTemplate?.name ?? "built-in catalyst.conf template")
        let rcText = try conf.renderEnvscript(template: envscriptTemplate?.text,
                                              templateName: envscriptTemplate?.name ?? "built-in catalystrc template")
        let normalized = context.normalize(confText) + "\0" + context.normalize(rcText)
        let settings = "flavor: \(conf.flavor)\noptions: \(conf.options.joined(separator: " "))\n"
            + "digests: \(conf.digests.joined(separator: " "))\ncompression: \(conf.compression)"
        var inputs = [NodeInput(name: "catalyst-settings", digest: ContentHasher.digest(.sha256, settings).description, display: settings)]
        if let t = confTemplate {
            inputs.append(NodeInput(name: t.name, digest: ContentHasher.digest(.sha256, t.text).description, display: t.text))
        }
        if let t = envscriptTemplate {
            inputs.append(NodeInput(name: t.name, digest: ContentHasher.digest(.sha256, t.text).description, display: t.text))
        }
        return Evaluation(inputs: inputs, outputDigest: ContentHasher.digest(.sha256, normalized).description,
                          display: context.normalize(confText),
                          files: [PendingFile(path: InitRule.confFile, text: confText),
                                  PendingFile(path: InitRule.envscriptFile, text: rcText, mode: 0o755)])
    }

    /// Creates the storedir layout catalyst expects (it refuses a missing distdir).
    public func activate(_ context: RuleContext, outputs: [NodeOutput]) throws {
        for d in ["artifacts/distfiles", "artifacts/snapshots", "artifacts/builds/seeds", "artifacts/packages",
                  "artifacts/kerncache", "artifacts/tmp", "artifacts/out", ".cache/logs", ".cache/specs"] {
            try FileManager.default.createDirectory(atPath: context.path(d), withIntermediateDirectories: true)
        }
    }
}
