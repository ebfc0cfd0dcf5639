import ArgumentParser
import CBuildBasics
import CBuildProject
import Foundation

/// `cbuild doctor`: is this machine ready to build?
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what a build needs: catalyst and its flavour, root, gpg/gpgv and the keys, tools, disk space, the lock.",
        discussion: """
            One line per check; exits 1 when something a build needs is missing.
            Example:
              cbuild doctor
              cbuild doctor --catalyst "sudo catalyst"
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Catalyst command to check instead of [catalyst] command.", valueName: "CMD")) var catalyst: String?

    func run() async throws {
        let (terminal, _) = global.makeOutput()
        let checks = Doctor.run(explicit: global.directory, catalystCommand: catalyst.map { $0.split(separator: " ").map(String.init) })
        if global.json {
            terminal.line(try Session.json(checks))
        } else {
            let rows = checks.map { c -> [String] in
                let word: String
                switch c.level {
                case .ok: word = terminal.green("ok")
                case .warn: word = terminal.yellow("warn")
                case .fail: word = terminal.red("FAIL")
                }
                return [word, c.name, c.detail]
            }
            terminal.out(TableView.render(rows))
        }
        if checks.contains(where: { $0.level == .fail }) { throw ExitWith(.nodeFailed) }
    }
}

extension DoctorCommand: PrintsData {}
