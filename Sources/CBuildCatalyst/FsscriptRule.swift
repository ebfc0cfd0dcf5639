import CBuildBasics
import CBuildGraph
import Foundation

/// `fsscript/T`: the features' fsscripts concatenated in merge order into
/// one script catalyst runs at the end of stage 4,
/// `.cache/trees/fsscript-<digest>.sh`.
public struct FsscriptRule: Rule {
    public let scripts: [String]
    public init(scripts: [String]) { self.scripts = scripts }

    public var recipeName: String { "merge-fsscript" }
    public var recipeVersion: Int { 1 }
    public var kind: RuleKind { .derived }

    public static func path(outputDigest: String) -> String {
        ".cache/trees/fsscript-\(Digest(tagged: outputDigest)?.shortHex(16) ?? "x").sh"
    }

    public func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        var text = "#!/bin/bash\n# fsscript merged by cbuild from: \(scripts.joined(separator: ", "))\nset -e\n"
        var inputs: [NodeInput] = []
        for s in scripts {
            let full = context.path(s)
            guard let data = FileManager.default.contents(atPath: full) else {
                throw BasicsError.io(path: full, operation: "read", errno: ENOENT)
            }
            let body = String(decoding: data, as: UTF8.self)
            inputs.append(NodeInput(name: s, digest: ContentHasher.digest(.sha256, [UInt8](data)).description, display: body))
            text += "\n# --- \(s)\n(\n" + body + (body.hasSuffix("\n") ? "" : "\n") + ")\n"
        }
        let digest = ContentHasher.digest(.sha256, text).description
        return Evaluation(inputs: inputs, outputDigest: digest, display: text,
                          files: [PendingFile(path: FsscriptRule.path(outputDigest: digest), text: text, mode: 0o755)])
    }
}
