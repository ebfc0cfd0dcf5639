import CBuildBasics
import CBuildCatalyst
import CBuildConfig
import CBuildGraph
import Foundation

/// `image/NAME.raw`: a bootable GPT disk assembled from the `stage4/NAME`
/// tarball with ordinary tools on plain files — no root, no loop devices,
/// no mounts. Unpack (`StageUnpacker`), find the boot files
/// (`BootFiles`), make the ESP (`EFISystemPartition`) and the root
/// filesystem (`RootFilesystem`), then partition and place them
/// (`DiskLayout`). Reproducible: ids come from the node key, times from
/// `SOURCE_DATE_EPOCH` (or the newest file in the stage4), so the same
/// stage4 and settings give the same bytes and early cutoff holds.
public struct RawImageRule: Rule {
    /// The stage4 node whose first output is the tarball.
    public let stageNode: NodeID
    /// The target's name (`vm/test`), for output names and the boot entry title.
    public let targetName: String
    public let settings: ImageConfig
    /// `SOURCE_DATE_EPOCH` when the builder sets it; it then enters the key.
    public let sourceDateEpoch: Int64?

    public init(stageNode: NodeID, targetName: String, settings: ImageConfig, sourceDateEpoch: Int64? = nil) {
        self.stageNode = stageNode; self.targetName = targetName; self.settings = settings
        self.sourceDateEpoch = sourceDateEpoch
    }

    public var recipeName: String { "image-raw" }
    /// 2: the image tools' versions are an input.
    public var recipeVersion: Int { 2 }
    public func recipeNote(since recipe: String) -> String? { ImageTools.note(since: recipe, version: recipeVersion) }
    public var kind: RuleKind { .action }

    /// The settings that shape the raw image's bytes, one per line.
    public var settingsText: String {
        var lines = [
            "target=\(targetName)",
            "size=\(settings.size)",
            "filesystem=\(settings.filesystem)",
            "esp_size=\(settings.espSize)",
            "kernel_cmdline=\(settings.kernelCommandLine)",
            "serial_console=\(settings.serialConsole)",
            "kernel=\(settings.kernel ?? "(found in /boot)")",
            "initramfs=\(settings.initramfs ?? "(found in /boot)")",
        ]
        if let sourceDateEpoch { lines.append("source_date_epoch=\(sourceDateEpoch)") }
        return lines.joined(separator: "\n")
    }

    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [NodeInput(name: "image-settings", digest: ContentHasher.digest(.sha256, settingsText).description,
                   display: settingsText.replacingOccurrences(of: "\n", with: ", ")),
         try ImageTools.input(ImageTools.raw, context)]
    }

    /// Enters the key as "stage4", whatever the variant: `stage4/web@canary`
    /// and `stage4/web` with the same output give the same image.
    public func inputName(for dependency: NodeID) -> String { dependency == stageNode ? "stage4" : dependency.name }

    /// `artifacts/images/vm/test-<key>.raw`: stored by key, so an older
    /// image survives a newer build.
    public func outputPath(key: NodeKey, format: ImageFormat = .raw) -> String {
        "artifacts/images/\(targetName)-\(key.short).\(format.fileExtension)"
    }

    /// The kernel command line: the root partition by PARTUUID, the serial console, the user's arguments.
    public func commandLine(_ identity: DerivedIdentity) -> String {
        var parts = ["root=PARTUUID=\(identity.rootPartitionUUID)", "rw", "rootwait"]
        if !settings.serialConsole.isEmpty { parts += ["console=tty0", "console=\(settings.serialConsole)"] }
        if !settings.kernelCommandLine.isEmpty { parts.append(settings.kernelCommandLine) }
        return parts.joined(separator: " ")
    }

    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        guard let tarball = dependencies[stageNode]?.outputs.first?.path else {
            throw ImageError.missingDependency(node: context.rule.node.name, dependency: stageNode.name)
        }
        let ctx = context.rule
        let output = outputPath(key: key)
        let scratch = ctx.path("artifacts/tmp/images/" + ctx.node.name.replacingOccurrences(of: "/", with: "_") + "-" + context.runId)
        let tools = ToolRunner(logPath: context.logPath, registry: context.processes)
        tools.note("# cbuild: \(ctx.node.name) from \(tarball)\n# key \(key)")
        let me = self
        try await Blocking.run {
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            try me.assemble(tarball: ctx.path(tarball), output: ctx.path(output), scratch: scratch,
                            identity: DerivedIdentity(key: key.description), tools: tools, events: ctx.events, node: ctx.node.name)
        }
        return [output]
    }

    /// The whole assembly, on plain files; `output` appears only when complete.
    func assemble(tarball: String, output: String, scratch: String, identity: DerivedIdentity,
                  tools: ToolRunner, events: any EventSink, node: String) throws {
        let treeDir = scratch + "/tree"
        try FileManager.default.createDirectory(atPath: treeDir, withIntermediateDirectories: true)
        events.emit(.nodeProgress(node: node, detail: "unpacking the stage4"))
        let started = Date()
        let manifest = try StageUnpacker.unpack(tarball: tarball, into: treeDir, tools: tools)
        tools.note(String(format: "# unpacked in %.2f s", Date().timeIntervalSince(started)))
        let epoch = max(0, sourceDateEpoch ?? manifest.newestMTime)
        tools.note("# \(manifest.entries.count) entries, \(manifest.contentBytes >> 20) MiB; epoch \(epoch)")
        let tree = StageTree(root: treeDir)
        let boot = try BootFiles.find(in: tree, settings: settings)
        tools.note("# kernel \(boot.kernel), initramfs \(boot.initramfs ?? "none"), loader \(boot.loader)")
        let layout = DiskLayout(diskSize: settings.size, espSize: settings.espSize)
        // Content in 4 KiB blocks plus ext4's own inode tables and journal: an estimate, mkfs.ext4 has the last word.
        let needed = manifest.allocatedBytes + layout.rootSize / 32 + min(layout.rootSize / 16, 128 * DiskLayout.mebibyte)
        guard needed <= layout.rootSize else { throw ImageError.doesNotFit(needed: needed, available: layout.rootSize) }

        events.emit(.nodeProgress(node: node, detail: "partitioning"))
        let disk = scratch + "/disk.raw"
        try layout.create(disk: disk, identity: identity, scratch: scratch, tools: tools)
        events.emit(.nodeProgress(node: node, detail: "EFI system partition"))
        let espFile = scratch + "/esp.img"
        try EFISystemPartition(tree: tree, boot: boot, commandLine: commandLine(identity), title: "Gentoo \(targetName) (cbuild)",
                               identity: identity, epoch: epoch, tools: tools, scratch: scratch).make(file: espFile, size: layout.espSize)
        try layout.placeESP(espFile, into: disk, tools: tools)
        events.emit(.nodeProgress(node: node, detail: "root filesystem"))
        try RootFilesystem(tree: tree, manifest: manifest, identity: identity, epoch: epoch, tools: tools, scratch: scratch)
            .make(disk: disk, offset: layout.rootOffset, size: layout.rootSize)
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(disk, output) == 0 else { throw BasicsError.io(path: output, operation: "rename", errno: errno) }
    }

    /// Points `artifacts/out/image/NAME.raw` at the current image.
    public func activate(_ context: RuleContext, outputs: [NodeOutput]) throws {
        guard let image = outputs.first else { return }
        try OutputLink.point(root: context.root, node: String(context.node.name.dropLast(4)), extension: "raw", at: image.path)
    }
}
