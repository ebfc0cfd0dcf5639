import ArgumentParser

/// `cbuild`: the root command. A bare `cbuild NODE…` builds (the default
/// subcommand), so `cbuild stage4/workstation` and `cbuild --explain …` work.
public struct CBuildCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cbuild",
        abstract: "Incremental, content-hashing builds of Gentoo stages with catalyst.",
        discussion: """
            Run inside a build directory (one with cbuild.toml) or name it with -C.
            Examples:
              cbuild                          build [project] default
              cbuild stage4/workstation       build one machine and what it needs
              cbuild --explain fleet/prod     why each node would run
              cbuild status                   what is clean, stale or failed
            Exit codes: 0 ok, 1 a node failed, 2 usage or invalid build directory,
            3 verification failed, 4 another cbuild holds the lock, 130 interrupted.
            """,
        version: "cbuild \(CBuildMain.version)",
        subcommands: [BuildCommand.self, ExplainCommand.self, StatusCommand.self, CleanCommand.self,
                      GraphCommand.self, SpecCommand.self, LogCommand.self, HistoryCommand.self,
                      InitCommand.self, SnapshotCommand.self, SeedCommand.self, NightlyCommand.self, DoctorCommand.self, PlanCommand.self, TestCommand.self,
                      TargetsCommand.self, PruneCommand.self, RolesCommand.self,
                      PackagesCommand.self, DiffCommand.self, AuditCommand.self, ReportCommand.self,
                      PublishCommand.self],
        defaultSubcommand: BuildCommand.self)

    public init() {}

    /// The README's usage block: one line per command, its synopsis and the
    /// abstract `--help` shows (a test keeps the README equal to this).
    public static func usageSummary() -> String {
        var rows: [(String, String)] = [("cbuild [GLOBAL] [NODE...]", BuildCommand.configuration.abstract)]
        for s in configuration.subcommands where s != BuildCommand.self {
            let name = s.configuration.commandName ?? s._commandName
            let subs = s.configuration.subcommands.map { $0.configuration.commandName ?? $0._commandName }
            rows.append(("cbuild \(name)" + (subs.isEmpty ? "" : " " + subs.joined(separator: "|")), s.configuration.abstract))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
