import CBuildBasics
import CBuildGraph

/// The tools an image rule runs, asked for their versions: their answers
/// are one input of the rule's key ("tools"), so an upgrade of e2fsprogs
/// or qemu rebuilds exactly the images it shapes, and `explain` says so.
public enum ImageTools {
    /// Debian packages that provide each tool, for hints.
    public static var packages: [String: String] { ToolRunner.packages }

    /// The tools images of `formats` need, boot tests included (`doctor` checks them).
    public static func needed(formats: Set<String>) -> [String] {
        guard !formats.isEmpty else { return [] }
        var names = raw.map(\.name) + ["mmd"]
        if formats.contains(where: { $0 != "raw" }) { names += convert.map(\.name) }
        if formats.contains("qcow2") { names += boot.map(\.name) }
        return names
    }

    /// A tool and the arguments that make it print its version.
    struct Tool {
        let name: String
        let versionArguments: [String]
    }

    /// What assembles a raw disk: the filesystems, the partition table, the stage's unpacking.
    static let raw = [Tool(name: "mkfs.ext4", versionArguments: ["-V"]), Tool(name: "debugfs", versionArguments: ["-V"]),
                      Tool(name: "mkfs.vfat", versionArguments: ["--help"]), Tool(name: "mcopy", versionArguments: ["--version"]),
                      Tool(name: "sfdisk", versionArguments: ["--version"]), Tool(name: "tar", versionArguments: ["--version"])]
    static let convert = [Tool(name: "qemu-img", versionArguments: ["--version"])]
    static let boot = [Tool(name: "qemu-system-x86_64", versionArguments: ["--version"])]

    /// The "tools" input: one line per tool (its version's first line),
    /// hashed over everything each printed. A missing tool is the rule's
    /// usual "not installed" error, naming the package.
    static func input(_ tools: [Tool], _ context: RuleContext) throws -> NodeInput {
        var lines: [String] = [], digests: [String] = []
        for t in tools {
            _ = try ToolRunner.require(t.name)
            let id = try context.tools.identity(of: [t.name], versionArguments: t.versionArguments, environment: nil)
            lines.append(id.output.split(whereSeparator: \.isNewline).first.map(String.init) ?? t.name)
            digests.append("\(t.name)\0\(id.digest)")
        }
        return NodeInput(name: "tools", digest: ContentHasher.digest(.sha256, digests.joined(separator: "\0")).description,
                         display: lines.joined(separator: "\n"))
    }

    /// The note shown once after the upgrade that made tools an input.
    static func note(since recipe: String, version: Int) -> String? {
        recipe.hasSuffix("@\(version - 1)") ? "key scheme changed: the versions of the image tools are now inputs" : nil
    }
}
