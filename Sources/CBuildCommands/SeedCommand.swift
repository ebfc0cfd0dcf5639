import ArgumentParser
import CBuildArtifacts
import CBuildBasics
import CBuildProject
import Foundation

/// `cbuild seed …`: stage3 seeds from `[seeds.NAME]` and their roles.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Fetch, verify, list, promote, roll back and prune stage3 seeds.",
        discussion: """
            Examples:
              cbuild seed fetch amd64-openrc
              cbuild seed list
              cbuild seed rollback amd64-openrc stable
            """,
        subcommands: [Fetch.self, List.self, Promote.self, Rollback.self, Prune.self, Verify.self])

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the seed named by the signed latest-stage3 listing, verify it (.asc, SHA512, BLAKE2B) and point a role at it.",
            discussion: """
                Examples:
                  cbuild seed fetch amd64-openrc --role stable
                  cbuild seed fetch amd64-openrc --timestamp 20261117T170000Z --role frozen
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The role to point at it.") var role: String = "stable"
        @Option(help: ArgumentHelp("Fetch this release (its autobuilds timestamp) instead of the newest listed.", valueName: "TS"))
        var timestamp: String?
        @Flag(help: "Fetch exactly the seeds cbuild.lock names, checked against it.") var locked = false
        @Flag(help: "Skip signature checks (digests are still checked). Recorded.") var insecure = false
        @Argument(help: "Seed name from [seeds.NAME] (all seeds when omitted).") var name: String?

        func run() async throws {
            try await Session.with(global, access: .mutating, command: "cbuild seed fetch") { ws, terminal, reporter in
                if insecure { reporter.emit(.diagnostic(Diagnostic(.warning, "--insecure: OpenPGP signatures are NOT checked; this is recorded with the seed"))) }
                let store = ws.seedStore()
                var outcomes: [FetchOutcome] = []
                if let timestamp {
                    guard let name else {
                        throw ValidationError("--timestamp needs the seed's name: cbuild seed fetch NAME --timestamp \(timestamp)")
                    }
                    outcomes.append(try store.fetch(name: name, role: role, timestamp: timestamp, insecure: insecure))
                } else if locked {
                    outcomes = try store.fetchLocked(lock: try LockFile.read(at: ws.directory.path("cbuild.lock")), insecure: insecure)
                } else {
                    let names = name.map { [$0] } ?? ws.configuration.project.seeds.map(\.name)
                    for n in names { outcomes.append(try store.fetch(name: n, role: role, insecure: insecure)) }
                }
                reporter.finish()
                for o in outcomes { terminal.line(FetchView.line(o)) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored seeds with verification and roles.", discussion: "Example: cbuild seed list")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this seed.") var name: String?
        func run() async throws {
            try await Session.with(global, access: .readOnly, command: "cbuild seed list") { ws, terminal, _ in
                let infos = try ws.seedStore().list(name: name)
                let rows = infos.map { info in
                    ArtifactRow(info, targets: ws.configuration.targets.values.filter { $0.seed.nodeName == "seed/\(info.name)" }.map(\.nodeName).sorted())
                }
                if global.json { terminal.line(try Session.json(rows)); return }
                terminal.out(infos.isEmpty ? "no seeds stored; run `cbuild seed fetch`\n" : ArtifactRow.table(rows, identTitle: "RELEASE"))
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point a seed role at a newer stored release (forward only).",
                                                        discussion: "Example: cbuild seed promote amd64-openrc stable 20261124T170000Z")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument var role: String
        @Argument(help: "Release stamp of a stored seed.") var ident: String
        func run() async throws {
            try await Session.with(global, access: .mutating, command: "cbuild seed promote") { ws, terminal, _ in
                terminal.line(FetchView.move(try ws.seedStore().promote(name: name, role: role, to: ident)))
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a seed role back to its previous (or a named) release; recorded as a rollback.",
                                                        discussion: "Example: cbuild seed rollback amd64-openrc stable")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument var role: String
        @Argument(help: "Release stamp (default: the value before the last move).") var ident: String?
        func run() async throws {
            try await Session.with(global, access: .mutating, command: "cbuild seed rollback") { ws, terminal, _ in
                terminal.line(FetchView.move(try ws.seedStore().rollback(name: name, role: role, to: ident)))
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete old seeds, keeping the newest N and every one a role, cbuild.lock or a current build uses.",
                                                        discussion: "Example: cbuild seed prune --keep 2")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many of the newest to keep per seed.") var keep: Int
        @Flag(name: [.customShort("n"), .long], help: "Only list what would be removed.") var dryRun = false
        @Argument var name: String?
        func validate() throws { if keep < 0 { throw ValidationError("--keep must be 0 or more") } }
        func run() async throws {
            try await Session.with(global, access: dryRun ? .readOnly : .mutating, command: "cbuild seed prune") { ws, terminal, _ in
                let removed = try ws.seedStore().prune(name: name, keep: keep, protecting: try ws.seedIdentsInUse(), dryRun: dryRun)
                for r in removed { terminal.line((dryRun ? "would remove " : "removed ") + r.file) }
                if removed.isEmpty { terminal.line("nothing to prune") }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-hash stored seeds against their recorded digests (exit 3 on a mismatch).",
                                                        discussion: "Example: cbuild seed verify")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String?
        func run() async throws {
            let bad = try await Session.with(global, access: .readOnly, command: "cbuild seed verify") { ws, terminal, _ in
                let results = try ws.seedStore().verify(name: name)
                if global.json { terminal.line(try Session.json(results.map(FetchView.VerifyRow.init))) }
                else { for r in results { terminal.line(FetchView.verify(r)) } }
                return results.contains { $0.isProblem }
            }
            if bad { throw ExitWith(.verification) }
        }
    }
}

extension SeedCommand.List: PrintsData {}
extension SeedCommand.Verify: PrintsData {}
