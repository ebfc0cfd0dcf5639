import ArgumentParser
import CBuildState
import Foundation

/// `cbuild roles`: the history of every snapshot and seed role — when,
/// which role, from → to, why, by whom.
struct RolesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "Show the history of snapshot and seed roles: when, role, from → to, why, by whom.",
        discussion: """
            Examples:
              cbuild roles
              cbuild roles --limit 10 --json
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "How many entries.") var limit: Int = 50

    struct Row: Codable {
        var at: Date, kind: String, name: String?, role: String, from: String?, to: String, reason: String, by: String, note: String?
    }

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild roles") { ws, terminal, _ in
            let moves = try ws.database.allRoleHistory(limit: limit)
            let rows = moves.map { m in
                Row(at: m.at, kind: m.kind, name: m.name.isEmpty ? nil : m.name, role: m.role, from: m.oldValue, to: m.newValue,
                    reason: m.reason, by: m.actor.split(separator: "@").first.map(String.init) ?? m.actor, note: m.note)
            }
            if global.json { terminal.line(try Session.json(rows)); return }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "yyyy-MM-dd HH:mm"
            terminal.out(rows.isEmpty ? "no role has moved yet\n" : TableView.render([["WHEN", "ROLE", "FROM → TO", "WHY", "BY"]] + rows.map {
                [f.string(from: $0.at), ($0.kind == "seed" ? "seed \($0.name ?? "") " : "snapshot ") + $0.role,
                 "\($0.from ?? "(none)") → \($0.to)", $0.reason + ($0.note.map { " (\($0))" } ?? ""), $0.by]
            }))
        }
    }
}

extension RolesCommand: PrintsData {}
