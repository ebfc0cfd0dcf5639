import CBuildBasics
import CBuildState
import Foundation

/// What a tool that an action runs says it is: the output of `CMD --version`
/// (catalyst's identity). It is an input of every key of the nodes that run
/// the tool, so a catalyst upgrade (or the simulator in place of a real
/// catalyst) makes exactly those nodes stale.
public struct ToolIdentity: Sendable, Hashable {
    /// The command as configured (`["sudo", "catalyst"]`).
    public var command: [String]
    /// Exactly what the tool printed on standard output.
    public var output: String

    public init(command: [String], output: String) {
        self.command = command; self.output = output
    }

    /// The key input: SHA-256 of the output (not of the command: `sudo
    /// catalyst` and `catalyst` are the same catalyst).
    public var digest: String { ContentHasher.digest(.sha256, output).description }

    /// One line for displays: the output's non-empty lines joined by " / ".
    public var summary: String {
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let text = lines.joined(separator: " / ")
        return text.isEmpty ? "(no version output)" : text
    }

    /// The node input that carries this identity.
    public func input(name: String) -> NodeInput {
        NodeInput(name: name, digest: digest, display: summary)
    }
}

/// Finds what a tool is. The engine gives rules one through `RuleContext`;
/// the project's implementation remembers answers in the state database.
public protocol ToolIdentifying: Sendable {
    /// What `command + versionArguments` prints (standard output, or
    /// standard error for tools that print their version there).
    func identity(of command: [String], versionArguments: [String], environment: [String: String]?) throws -> ToolIdentity
}

extension ToolIdentifying {
    /// `CMD --version`.
    public func identity(of command: [String], environment: [String: String]?) throws -> ToolIdentity {
        try identity(of: command, versionArguments: ["--version"], environment: environment)
    }
}

/// A tool that could not tell what it is: the nodes that run it cannot be
/// keyed, so they fail (a key without the tool's identity would be a lie).
public struct ToolIdentityError: UserError {
    public var command: [String]
    public var reason: String
    public init(command: [String], reason: String) { self.command = command; self.reason = reason }
    public var exitStatus: ExitStatus { .nodeFailed }
    public var location: SourceLocation? { nil }
    public var message: String {
        "cannot tell which \(command.first.map { ($0 as NSString).lastPathComponent } ?? "tool") this is: `\(command.joined(separator: " "))` \(reason)"
    }
    public var hint: String? {
        command.contains { ($0 as NSString).lastPathComponent.hasPrefix("catalyst") }
            ? "install catalyst or set [catalyst] command (or --catalyst) to one that answers --version"
            : "install \(command.first ?? "the tool") (`cbuild doctor` names the package)"
    }
}

/// Runs `CMD --version` once per command and remembers the answer, in
/// memory for this process and in `tool_identity` across commands, keyed by
/// the command, the `CATALYST*` environment it runs with, and the
/// fingerprint (path, size, mtime) of every executable the command names.
/// On a Gentoo host the installed `dev-util/catalyst-*` entries join the
/// fingerprint, because the `catalyst` in PATH is a python-exec wrapper
/// that an upgrade does not touch.
public final class ToolIdentityProbe: ToolIdentifying, @unchecked Sendable {
    private let database: StateDatabase?
    private let runner: any ProcessRunning
    private let lock = NSLock()
    private var known: [String: ToolIdentity] = [:]
    /// Where a Gentoo host records installed packages (tests point it elsewhere).
    private let packageDatabase: String

    public init(database: StateDatabase?, runner: any ProcessRunning = SystemProcessRunner(),
                packageDatabase: String = "/var/db/pkg") {
        self.database = database; self.runner = runner; self.packageDatabase = packageDatabase
    }

    public func identity(of command: [String], versionArguments: [String], environment: [String: String]?) throws -> ToolIdentity {
        let env = environment ?? ProcessInfo.processInfo.environment
        let relevant = env.filter { $0.key.hasPrefix("CATALYST") }.sorted { $0.key < $1.key }
        // The environment enters as a digest: its values may name this
        // directory, and state names no absolute path of it.
        let envDigest = ContentHasher.digest(.sha256, relevant.map { "\($0.key)=\($0.value)" }.joined(separator: "\0")).hex
        let memoKey = (command + versionArguments + ["env:" + envDigest]).joined(separator: "\0")
        lock.lock(); defer { lock.unlock() }
        if let id = known[memoKey] { return id }
        let fingerprint = try Self.fingerprint(command, path: env["PATH"], packageDatabase: packageDatabase)
        if let record = try? database?.toolIdentity(command: memoKey), record.fingerprint == fingerprint {
            let id = ToolIdentity(command: command, output: record.output)
            known[memoKey] = id
            return id
        }
        let result: ProcessResult
        do {
            result = try runner.run(command + versionArguments, environment: environment, currentDirectory: nil, input: nil)
        } catch {
            throw ToolIdentityError(command: command + versionArguments, reason: "could not start: \(error)")
        }
        guard result.succeeded else {
            let err = result.stderrString.split(separator: "\n").first.map { ": \($0)" } ?? ""
            throw ToolIdentityError(command: command + versionArguments, reason: "exited with status \(result.status)\(err)")
        }
        let printed = result.stdout.isEmpty ? result.stderrString : result.stdoutString
        let id = ToolIdentity(command: command, output: printed)
        known[memoKey] = id
        try? database?.recordToolIdentity(ToolIdentityRecord(command: memoKey, fingerprint: fingerprint,
                                                             output: id.output, probedAt: Date()))
        return id
    }

    /// `path:size:mtime_ns` of each executable the command names (its first
    /// word, and later words that are names of executables in PATH, as in
    /// `sudo catalyst`), symlinks resolved. A first word that is not found
    /// is an error: the command cannot run.
    static func fingerprint(_ command: [String], path: String?, packageDatabase: String) throws -> String {
        var parts: [String] = []
        for (index, word) in command.enumerated() where !word.hasPrefix("-") && !word.contains("=") {
            guard let exe = Executables.find(word, path: path) else {
                if index == 0 { throw ToolIdentityError(command: command, reason: "cannot run: \(word) is not in PATH") }
                continue
            }
            let real = URL(fileURLWithPath: exe).resolvingSymlinksInPath().path
            guard let st = try? FileStat.of(real, followSymlinks: true) else { continue }
            parts.append("\(real):\(st.size):\(st.mtimeNs)")
        }
        if let installed = try? FileManager.default.contentsOfDirectory(atPath: packageDatabase + "/dev-util") {
            parts += installed.filter { $0.hasPrefix("catalyst-") }.sorted().map { "dev-util/\($0)" }
        }
        return parts.joined(separator: ";")
    }
}
