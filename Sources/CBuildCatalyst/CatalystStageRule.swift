import CBuildBasics
import CBuildGraph
import Foundation

/// A catalyst run (`stage1` … `stage4`): runs
/// `<command> -a -c .cache/catalyst/catalyst.conf -f <rendered spec>`,
/// logs everything, reports emerge progress, and counts the run only when
/// catalyst exited 0 AND its outputs exist where catalyst writes them:
/// `artifacts/builds/<rel_type>/<target>-<subarch>-<version_stamp>.<ext>`
/// with `.DIGESTS` (when digests are configured) and `.CONTENTS.gz`.
/// Its key: catalyst's identity, and its dependencies' outputs under
/// neutral names — the rendered spec (whose identity covers the files it
/// names: merged trees, kernel config, spec_extra files), `init`, the seed
/// or parent stage's output digest, and the snapshot file's content digest.
public struct CatalystStageRule: Rule {
    /// The `spec/…` node this stage runs.
    public let specNode: NodeID
    /// Absolute path where the spec node writes the rendered spec.
    public let specPath: String
    public let command: [String]
    public let confPath: String
    /// `tar.xz`, `tar.bz2`, … from the configured compression mode.
    public let tarballExtension: String
    public let requireDigests: Bool
    /// Extra environment for the catalyst process (simulator knobs pass through).
    public let environment: [String: String]?

    public init(specNode: NodeID, specPath: String, command: [String], confPath: String,
                tarballExtension: String, requireDigests: Bool, environment: [String: String]? = nil) {
        self.specNode = specNode; self.specPath = specPath; self.command = command; self.confPath = confPath
        self.tarballExtension = tarballExtension; self.requireDigests = requireDigests; self.environment = environment
    }

    public var recipeName: String { "catalyst-stage" }
    /// 2: catalyst's identity and the snapshot's content are inputs.
    public var recipeVersion: Int { 2 }
    public var kind: RuleKind { .action }

    public func recipeNote(since recipe: String) -> String? {
        recipe == "catalyst-stage@1" ? "key scheme changed: catalyst identity and snapshot digest are now inputs" : nil
    }

    /// Catalyst's identity (`CMD --version`), besides the dependencies'
    /// outputs the engine adds (spec, init, seed or parent, snapshot). The
    /// flavour enters through the key salt; the command line does not (sudo
    /// or not, the same catalyst gives the same build).
    public func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [try context.tools.identity(of: command, environment: environment).input(name: "catalyst")]
    }

    /// Where catalyst writes this stage's tarball, relative to the build directory.
    public static func outputBase(spec: SpecValues) -> String? {
        guard let rel = spec.first("rel_type"), let target = spec.first("target"),
              let subarch = spec.first("subarch"), let stamp = spec.first("version_stamp") else { return nil }
        return "artifacts/builds/\(rel)/\(target)-\(subarch)-\(stamp)"
    }

    public func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        guard let spec = dependencies[specNode], let text = spec.display else {
            throw RuleFailure("the rendered spec \(specNode) is not available")
        }
        let values = SpecValues(parsing: text)
        guard let base = CatalystStageRule.outputBase(spec: values) else {
            throw RuleFailure("the rendered spec lacks rel_type/target/subarch/version_stamp")
        }
        let argv = command + ["-a", "-c", confPath, "-f", specPath]
        let events = context.rule.events
        let node = context.rule.node.name
        let header = "# cbuild: \(argv.joined(separator: " "))\n# node \(node) key \(key)\n"
        _ = FileManager.default.createFile(atPath: context.logPath, contents: Data(header.utf8))
        let exit: ChildProcess.Exit
        do {
            exit = try await ChildProcess.runDetached(argv, environment: environment, logPath: context.logPath,
                                                      inheritDescriptor: context.inheritedLockDescriptor,
                                                      registry: context.processes,
                                                      onLine: { line in
                                                          events.emit(.nodeOutput(node: node, line: line))
                                                          if let p = EmergeProgress.parse(line) { events.emit(.nodeProgress(node: node, detail: p)) }
                                                      })
        } catch {
            throw RuleFailure("cannot run \(command.joined(separator: " ")): \(error)", logPath: context.logPath)
        }
        if context.processes.isInterrupted {
            throw RuleFailure("interrupted; catalyst's tmp and autoresume state stay for the next run", logPath: context.logPath, interrupted: true)
        }
        guard exit.succeeded else {
            let how = exit.signal.map { "was killed by signal \($0)" } ?? "exited with status \(exit.status)"
            throw RuleFailure("catalyst \(how)\n" + CatalystStageRule.tail(of: context.logPath, lines: 30)
                              + "\nfull log: \(context.logPath)", logPath: context.logPath)
        }
        let tarball = "\(base).\(tarballExtension)"
        var outputs = [tarball]
        var missing: [String] = []
        if !FileManager.default.fileExists(atPath: context.rule.path(tarball)) { missing.append(tarball) }
        let contents = "\(base).\(tarballExtension).CONTENTS.gz"
        if FileManager.default.fileExists(atPath: context.rule.path(contents)) { outputs.append(contents) }
        let sha256 = "\(base).\(tarballExtension).sha256"
        if FileManager.default.fileExists(atPath: context.rule.path(sha256)) { outputs.append(sha256) }
        let digests = "\(base).\(tarballExtension).DIGESTS"
        if FileManager.default.fileExists(atPath: context.rule.path(digests)) { outputs.append(digests) }
        else if requireDigests { missing.append(digests) }
        if !missing.isEmpty {
            throw RuleFailure("catalyst exited 0 but did not write " + missing.joined(separator: ", ")
                              + "\nfull log: \(context.logPath)", logPath: context.logPath)
        }
        return outputs
    }

    /// Points `artifacts/out/<node>.<ext>` at the current tarball.
    public func activate(_ context: RuleContext, outputs: [NodeOutput]) throws {
        guard let tarball = outputs.first else { return }
        try OutputLink.point(root: context.root, node: context.node.name, extension: tarballExtension, at: tarball.path)
    }

    /// The last `lines` lines of a log file.
    public static func tail(of path: String, lines: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        let all = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines + 1).joined(separator: "\n")
    }
}

/// `artifacts/out/<node>.<ext>`: a stable, relative symlink to a node's
/// current output, replaced atomically.
public enum OutputLink {
    public static func path(node: String, extension ext: String) -> String { "artifacts/out/\(node).\(ext)" }

    public static func point(root: String, node: String, extension ext: String, at target: String) throws {
        let link = root + "/" + path(node: node, extension: ext)
        let dir = (link as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // relative target from the link's directory
        let depth = path(node: node, extension: ext).split(separator: "/").count - 1
        let relative = String(repeating: "../", count: depth) + target
        if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: link), existing == relative { return }
        let tmp = link + ".tmp-\(getpid())"
        unlink(tmp)
        guard symlink(relative, tmp) == 0 else { throw BasicsError.io(path: tmp, operation: "symlink", errno: errno) }
        guard rename(tmp, link) == 0 else { throw BasicsError.io(path: link, operation: "rename", errno: errno) }
    }
}

/// Names dependencies by their role in a catalyst build, never by role or
/// fleet: `spec/web@canary` and `spec/web` both enter as "spec",
/// `snapshot/testing` and `snapshot/stable` as "snapshot", a parent stage as
/// "parent". That is what makes promotion and fleet variants free.
public enum NeutralInputName {
    public static func of(_ dependency: NodeID) -> String {
        switch dependency.kind {
        case "stage1", "stage2", "stage3", "stage4", "diskimage": return "parent"
        default: return dependency.kind
        }
    }
}

extension CatalystStageRule {
    public func inputName(for dependency: NodeID) -> String { NeutralInputName.of(dependency) }
}

extension CatalystStageRule {
    /// After the state database was lost: the tarball catalyst wrote for
    /// exactly this spec (its name carries the spec's content digest) is
    /// adopted when its `.DIGESTS` file lists a SHA512 that the tarball
    /// still matches — catalyst writes `.DIGESTS` only after a complete
    /// tarball, so a half-written one is never adopted.
    public func adoptableOutputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult], key: NodeKey) throws -> [String]? {
        guard let text = dependencies[specNode]?.display,
              let base = CatalystStageRule.outputBase(spec: SpecValues(parsing: text)) else { return nil }
        let tarball = "\(base).\(tarballExtension)"
        let digestsFile = "\(tarball).DIGESTS"
        guard FileManager.default.fileExists(atPath: context.path(tarball)),
              let data = FileManager.default.contents(atPath: context.path(digestsFile)) else { return nil }
        let name = (tarball as NSString).lastPathComponent
        var inSHA512 = false
        var expected: String?
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("#") { inSHA512 = line.uppercased().contains("SHA512"); continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if inSHA512, parts.count == 2, parts[1] == name { expected = String(parts[0]).lowercased() }
        }
        guard let expected, try ContentHasher.digestFile(at: context.path(tarball), .sha512).hex == expected else { return nil }
        var outputs = [tarball]
        let contents = "\(tarball).CONTENTS.gz"
        if FileManager.default.fileExists(atPath: context.path(contents)) { outputs.append(contents) }
        outputs.append(digestsFile)
        return outputs
    }
}
