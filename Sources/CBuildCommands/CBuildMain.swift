import ArgumentParser
import CBuildBasics
import CBuildState
import CBuildConfig
import Foundation

/// Parses the command line, runs the command, and maps every error to one
/// clear line and a documented exit code (SPEC section 7): usage errors
/// (including argument-parser errors) are 2, never 64.
public enum CBuildMain {
    /// The version `--version` prints, with the commit the executable was built from.
    public static let version = "0.1.0"

    public static func run(_ arguments: [String], commit: String = "unknown") async -> Int32 {
        let terminal = Terminal()
        if arguments == ["--version"] {
            terminal.out("cbuild \(version) (commit \(commit))\n")
            return 0
        }
        // A no-op seen before: its record, when every path it read is unchanged
        // (docs/performance.md, "The no-op record"); otherwise watch this run's reads.
        let explainRecord = ProcessInfo.processInfo.environment["CBUILD_EXPLAIN_NOOP"].map { !$0.isEmpty && $0 != "0" } ?? false
        switch NoOpShortcut.begin(cacheDirectory: NoOpRecord.disabled ? nil : noOpCacheDirectory(arguments)) {
        case .replayed(let status):
            if explainRecord { FileHandle.standardError.write(Data("cbuild: no-op record: replayed\n".utf8)) }
            return status
        case .stale(let why):
            if explainRecord { FileHandle.standardError.write(Data("cbuild: no-op record: not used: \(why)\n".utf8)) }
        case .none:
            break
        }
        let status = await runCommand(arguments, terminal)
        let notSaved = NoOpShortcut.saveOffered(exitStatus: status)
        if explainRecord, notSaved != "the command offers no record" {
            FileHandle.standardError.write(Data("cbuild: no-op record: \(notSaved.map { "not saved: " + $0 } ?? "saved")\n".utf8))
        }
        return status
    }

    /// The cache directory whose records this invocation may have: the
    /// build directory `-C` names or the one found upwards (nil: none). A
    /// record is only used for the identical invocation, so a wrong guess
    /// costs a full run, never a wrong answer.
    static func noOpCacheDirectory(_ arguments: [String]) -> String? {
        var explicit: String?
        for (i, a) in arguments.enumerated() {
            if a == "--" { break }
            if a == "-C", i + 1 < arguments.count { explicit = arguments[i + 1] }
            else if a.hasPrefix("-C"), a.count > 2 { explicit = String(a.dropFirst(2)) }
        }
        return (try? BuildDirectory.discover(from: FileManager.default.currentDirectoryPath, explicit: explicit))?.cacheDirectory
    }

    static func runCommand(_ arguments: [String], _ terminal: Terminal) async -> Int32 {
        do {
            var command = try CBuildCommand.parseAsRoot(hoistGlobalOptions(try helpRequest(arguments)))
            if arguments.contains("--json"), !(command is PrintsData) {
                let name = type(of: command).configuration.commandName ?? "this command"
                throw CommandError("--json is not accepted by `cbuild \(name)`: its output is not data",
                                   hint: "--json works with build, explain, status, graph, history, targets, roles, packages, diff, audit, doctor, nightly, and snapshot/seed list and verify")
            }
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            return 0
        } catch let e as ExitWith {
            return e.status.rawValue
        } catch let e as UserError {
            report(e, terminal)
            return e.exitStatus.rawValue
        } catch let e as CleanExit {
            _ = e
            terminal.out(CBuildCommand.fullMessage(for: e) + "\n")
            return 0
        } catch {
            let code = CBuildCommand.exitCode(for: error)
            let message = CBuildCommand.fullMessage(for: error)
            if code == .success {
                terminal.out(message + "\n")
                return 0
            }
            terminal.err(message + "\n")
            return code == .validationFailure || code.rawValue == 64 ? ExitStatus.usage.rawValue : code.rawValue
        }
    }

    /// `cbuild help snapshot fetch` and `cbuild snapshot help fetch` both ask
    /// for the help of `snapshot fetch`; a command that does not exist is
    /// exit 2 naming it (ArgumentParser alone would print the root's help).
    static func helpRequest(_ args: [String]) throws -> [String] {
        func names(_ cs: [ParsableCommand.Type]) -> [String: ParsableCommand.Type] {
            Dictionary(cs.map { ($0.configuration.commandName ?? $0._commandName, $0) }, uniquingKeysWith: { a, _ in a })
        }
        var level = names(CBuildCommand.configuration.subcommands)
        var path: [String] = []
        var i = 0
        while i < args.count, args[i] != "help", let cmd = level[args[i]] {
            path.append(args[i]); level = names(cmd.configuration.subcommands); i += 1
        }
        guard i < args.count, args[i] == "help" else { return args }
        for word in args[(i + 1)...] where !word.hasPrefix("-") {
            guard let cmd = level[word] else {
                let within = path.isEmpty ? "cbuild" : "cbuild " + path.joined(separator: " ")
                let suggestion = Suggest.closest(to: word, among: level.keys.sorted())
                throw CommandError("unknown command '\(word)' for \(within)",
                                   hint: suggestion.map { "did you mean '\($0)'?" } ?? "`\(within) --help` lists its commands")
            }
            path.append(word); level = names(cmd.configuration.subcommands)
        }
        return ["help"] + path
    }

    /// `cbuild -C DIR status` means `cbuild status -C DIR`: global options
    /// written before the subcommand are moved after it, so they reach the
    /// subcommand instead of being taken as node names by the default `build`.
    static func hoistGlobalOptions(_ args: [String]) -> [String] {
        let withValue: Set<String> = ["-C", "--color"]
        let flags: Set<String> = ["-v", "--verbose", "-q", "--quiet", "--json"]
        func names(_ cs: [ParsableCommand.Type]) -> [String: ParsableCommand.Type] {
            Dictionary(cs.map { ($0.configuration.commandName ?? $0._commandName, $0) }, uniquingKeysWith: { a, _ in a })
        }
        var globals: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if withValue.contains(a), i + 1 < args.count { globals += [a, args[i + 1]]; i += 2; continue }
            if a.hasPrefix("-C"), a.count > 2, !a.hasPrefix("--") { globals.append(a); i += 1; continue }
            if a.hasPrefix("--color=") || flags.contains(a) { globals.append(a); i += 1; continue }
            break
        }
        // Walk down the subcommand chain (`snapshot fetch`) and put the
        // global options after its last element.
        var chain: [String] = []
        var level = names(CBuildCommand.configuration.subcommands)
        while i < args.count, let cmd = level[args[i]] {
            chain.append(args[i])
            i += 1
            level = names(cmd.configuration.subcommands)
        }
        guard !chain.isEmpty else { return args }
        return chain + globals + Array(args[i...])
    }

    static func report(_ e: UserError, _ t: Terminal) {
        var line = t.red("error") + ": "
        if let loc = e.location { line += "\(loc): " }
        line += e.message
        if let key = e.location?.key, !e.message.contains(key) { line += " (key '\(key)')" }
        t.errLine(line)
        if let hint = e.hint { t.errLine("  hint: \(hint)") }
    }
}
