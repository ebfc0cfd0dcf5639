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
        version: "cbuild 0.1.0",
        subcommands: [BuildCommand.self, ExplainCommand.self, StatusCommand.self, CleanCommand.self,
                      GraphCommand.self, SpecCommand.self, LogCommand.self, HistoryCommand.self,
                      InitCommand.self, SnapshotCommand.self, SeedCommand.self, NightlyCommand.self, DoctorCommand.self, PlanCommand.self, TestCommand.self, PublishCommand.self],
        defaultSubcommand: BuildCommand.self)

    public init() {}
}
