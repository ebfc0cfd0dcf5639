import CBuildBasics
import CBuildCatalyst
import CBuildGraph
import Foundation

/// `image/NAME.qcow2`, `.vhd`, `.vmdk`: the raw image converted with
/// `qemu-img convert`, verified (`ImageVerifier`), with the ids and time
/// qemu would make up pinned to the node key and epoch. Its key holds the
/// raw image's content digest, not its key: a raw rebuild that yields the
/// same bytes leaves every format clean (early cutoff).
public struct ConvertedImageRule: Rule {
    public let rawNode: NodeID
    public let targetName: String
    public let format: ImageFormat
    public let compress: Bool
    public let sourceDateEpoch: Int64?

    public init(rawNode: NodeID, targetName: String, format: ImageFormat, compress: Bool, sourceDateEpoch: Int64? = nil) {
        precondition(format != .raw)
        self.rawNode = rawNode; self.targetName = targetName; self.format = format
        self.compress = compress; self.sourceDateEpoch = sourceDateEpoch
    }

    public var recipeName: String { "image-\(format.rawValue)" }
    /// 2: qemu-img's version is an input. VMDK 3: the pinned CID no longer
    /// runs into the next descriptor line when qemu-img wrote a shorter one.
    public var recipeVersion: Int { format == .vmdk ? 3 : 2 }
    public func recipeNote(since recipe: String) -> String? {
        if format == .vmdk, recipe.hasSuffix("@2") {
            return "the VMDK descriptor's CID is now pinned whatever width qemu-img wrote it in (an image could differ between two builds)"
        }
        return ImageTools.note(since: recipe, version: format == .vmdk ? 2 : recipeVersion)
    }
    public var kind: RuleKind { .action }

    var settingsText: String {
        var lines = ["format=\(format.rawValue)"]
        if format == .qcow2 { lines.append("compress=\(compress)") }
        if let sourceDateEpoch { lines.append("source_date_epoch=\(sourceDateEpoch)") }
        return lines.joined(separator: "\n")
    }

    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [NodeInput(name: "format-settings", digest: ContentHasher.digest(.sha256, settingsText).description,
                   display: settingsText.replacingOccurrences(of: "\n", with: ", ")),
         try ImageTools.input(ImageTools.convert, context)]
    }

    public func inputName(for dependency: NodeID) -> String { dependency == rawNode ? "raw" : dependency.name }

    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        guard let raw = dependencies[rawNode]?.outputs.first?.path else {
            throw ImageError.missingDependency(node: context.rule.node.name, dependency: rawNode.name)
        }
        let ctx = context.rule
        let output = "artifacts/images/\(targetName)-\(key.short).\(format.fileExtension)"
        // The final file name inside a per-run directory: a VMDK's descriptor records its own name.
        let scratch = ctx.path("artifacts/tmp/images/" + ctx.node.name.replacingOccurrences(of: "/", with: "_") + "-" + context.runId)
        let tmp = scratch + "/" + (output as NSString).lastPathComponent
        let tools = ToolRunner(logPath: context.logPath, registry: context.processes)
        tools.note("# cbuild: \(ctx.node.name) from \(raw)\n# key \(key)")
        let me = self
        try await Blocking.run {
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            try me.convert(raw: ctx.path(raw), to: tmp, identity: DerivedIdentity(key: key.description), tools: tools)
            try FileManager.default.createDirectory(atPath: (ctx.path(output) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            guard rename(tmp, ctx.path(output)) == 0 else { throw BasicsError.io(path: output, operation: "rename", errno: errno) }
        }
        return [output]
    }

    func convert(raw: String, to path: String, identity: DerivedIdentity, tools: ToolRunner) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        try tools.run(["qemu-img", "convert", "-f", "raw", "-O", format.qemuName] + format.convertOptions(compress: compress) + [raw, path])
        switch format {
        case .vhd:
            guard var footer = try ImageVerifier.readVHDFooter(path) else {
                throw ImageError.verificationFailed(path: path, problem: "qemu-img wrote no VHD footer")
            }
            footer.pin(unixTime: sourceDateEpoch ?? VHDFooter.epoch2000, uniqueID: identity.uuidBytes("vhd-unique-id"))
            try ImageVerifier.writeVHDFooter(path, footer)
        case .vmdk:
            try ImageVerifier.pinVMDKContentID(path, cid: identity.hex32("vmdk-cid"))
        case .qcow2, .raw:
            break
        }
        let size = (try FileManager.default.attributesOfItem(atPath: raw)[.size] as? Int64) ?? 0
        try ImageVerifier.verify(path, format: format, virtualSize: size, tools: tools)
    }

    /// Points `artifacts/out/image/NAME.FMT` at the current image.
    public func activate(_ context: RuleContext, outputs: [NodeOutput]) throws {
        guard let image = outputs.first else { return }
        let node = context.node.name
        try OutputLink.point(root: context.root, node: String(node.dropLast(format.fileExtension.count + 1)),
                             extension: format.fileExtension, at: image.path)
    }
}
