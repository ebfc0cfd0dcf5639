import ArgumentParser
import CBuildBasics
import Foundation

/// Parses the command line, runs the command, and maps every error to one
/// clear line and a documented exit code (SPEC section 7): usage errors
/// (including argument-parser errors) are 2, never 64.
public enum CBuildMain {
    public static func run(_ arguments: [String]) async -> Int32 {
        let terminal = Terminal()
        do {
            var command = try CBuildCommand.parseAsRoot(hoistGlobalOptions(arguments))
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

    /// `cbuild -C DIR status` means `cbuild status -C DIR`: global options
    /// written before the subcommand are moved after it, so they reach the
    /// subcommand instead of being taken as node names by the default `build`.
    static func hoistGlobalOptions(_ args: [String]) -> [String] {
        let withValue: Set<String> = ["-C", "--color"]
        let flags: Set<String> = ["-v", "--verbose", "-q", "--quiet", "--json"]
        let subcommands = CBuildCommand.configuration.subcommands
        var globals: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if withValue.contains(a), i + 1 < args.count { globals += [a, args[i + 1]]; i += 2; continue }
            if a.hasPrefix("-C"), a.count > 2, !a.hasPrefix("--") { globals.append(a); i += 1; continue }
            if a.hasPrefix("--color=") || flags.contains(a) { globals.append(a); i += 1; continue }
            break
        }
        guard i < args.count, let command = subcommands.first(where: { $0._commandName == args[i] }) else { return args }
        // `cbuild -C DIR snapshot fetch`: the options go after the whole path (`snapshot fetch`).
        var end = i + 1
        if end < args.count, command.configuration.subcommands.contains(where: { $0._commandName == args[end] }) { end += 1 }
        return Array(args[i..<end]) + globals + Array(args[end...])
    }

    static func report(_ e: UserError, _ t: Terminal) {
        var line = ""
        if let loc = e.location { line += "\(loc): " }
        line += t.red("error") + ": " + e.message
        if let key = e.location?.key, !e.message.contains(key) { line += " (key '\(key)')" }
        t.errLine(line)
        if let hint = e.hint { t.errLine("  hint: \(hint)") }
    }
}
