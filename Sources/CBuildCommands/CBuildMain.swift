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
            var command = try CBuildCommand.parseAsRoot(arguments)
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

    static func report(_ e: UserError, _ t: Terminal) {
        var line = ""
        if let loc = e.location { line += "\(loc): " }
        line += t.red("error") + ": " + e.message
        if let key = e.location?.key, !e.message.contains(key) { line += " (key '\(key)')" }
        t.errLine(line)
        if let hint = e.hint { t.errLine("  hint: \(hint)") }
    }
}
