import CBuildBasics
import CBuildGraph
import CBuildState
import Foundation

/// Counts rule runs across tasks.
final class RunCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [String] = []
    func record(_ node: String) { lock.lock(); runs.append(node); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return runs }
    func reset() { lock.lock(); runs = []; lock.unlock() }
}

/// A source node: one file's content.
struct FileSourceRule: Rule {
    let file: String
    var recipeName: String { "test-file" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .source }
    func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        let d = try context.digests.digest(of: context.path(file)).description
        let text = (try? String(contentsOfFile: context.path(file), encoding: .utf8)) ?? ""
        return Evaluation(inputs: [NodeInput(name: file, digest: d, display: text)], outputDigest: d,
                          display: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A derived node: the non-comment lines of its dependencies, sorted — so a
/// comment-only change yields the same output (early cutoff).
struct StripCommentsRule: Rule {
    let output: String
    var recipeName: String { "test-strip" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .derived }
    func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        var lines: [String] = []
        for (_, d) in dependencies.sorted(by: { $0.key < $1.key }) {
            lines += (d.display ?? "").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        }
        let text = lines.joined(separator: "\n") + "\n"
        let digest = ContentHasher.digest(.sha256, text).description
        return Evaluation(inputs: [], outputDigest: digest, display: text, files: [PendingFile(path: output, text: text)])
    }
}

/// An action node: concatenates its dependencies' displays into an output
/// file named by the key; counts runs; can be told to fail or to sleep.
struct ConcatRule: Rule {
    let counter: RunCounter
    var failWhenFileExists: String? = nil
    var sleepSeconds: Double = 0
    var version: Int = 1
    var recipeName: String { "test-concat" }
    var recipeVersion: Int { version }
    var kind: RuleKind { .action }
    func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] { [] }
    func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        counter.record(context.rule.node.name)
        if let f = failWhenFileExists, FileManager.default.fileExists(atPath: context.rule.path(f)) {
            throw RuleFailure("told to fail by \(f)")
        }
        if sleepSeconds > 0 {
            let exit = try await ChildProcess.runDetached(["sleep", "\(sleepSeconds)"], logPath: context.logPath,
                                                          inheritDescriptor: context.inheritedLockDescriptor,
                                                          registry: context.processes)
            if !exit.succeeded { throw RuleFailure("sleep ended by signal", interrupted: context.processes.isInterrupted) }
        }
        var text = ""
        for (k, d) in dependencies.sorted(by: { $0.key < $1.key }) {
            text += "[\(k.name)] \(d.outputDigest)\n"
        }
        let rel = "out/\(context.rule.node.name.replacingOccurrences(of: "/", with: "_"))-\(key.short).txt"
        try Engine.writeAtomically(context.rule.path(rel), Array(text.utf8), mode: 0o644)
        return [rel]
    }
}

struct GroupRule: Rule {
    var recipeName: String { "test-group" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .phony }
}

/// An action whose own input is one file's digest (through the engine's
/// digest cache), like a rule that hashes a config file; runs are counted.
struct HashedFileActionRule: Rule {
    let counter: RunCounter
    let file: String
    var recipeName: String { "test-hashed-file" }
    var recipeVersion: Int { 1 }
    var kind: RuleKind { .action }
    func inputs(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> [NodeInput] {
        [NodeInput(name: file, digest: try context.digests.digest(of: context.path(file)).description)]
    }
    func run(_ context: RunContext, dependencies: [NodeID: DependencyResult], key: NodeKey) async throws -> [String] {
        counter.record(context.rule.node.name)
        let rel = "out/\(context.rule.node.name.replacingOccurrences(of: "/", with: "_")).txt"
        try Engine.writeAtomically(context.rule.path(rel), Array("\(key)\n".utf8), mode: 0o644)
        return [rel]
    }
}
