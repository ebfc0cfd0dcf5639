import ArgumentParser
import CBuildState
import Foundation

/// `cbuild log NODE [--follow]`: the newest run's full log.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the log of a node's newest run (--follow while it runs).",
        discussion: """
            Examples:
              cbuild log stage4/workstation
              cbuild log -f stage4/workstation
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Keep printing while the run goes on.") var follow = false
    @Argument(help: "The node.", completion: NodeCompletion.kind) var node: String

    func run() async throws {
        try await Session.with(global, access: .readOnly, command: "cbuild log", naming: [node]) { ws, terminal, _ in
            let id = try ws.graph.lookup([node])[0]
            guard let rec = try ws.database.history(node: id.name, limit: 50).first(where: { $0.logPath != nil }),
                  let path = rec.logPath else {
                throw CommandError("\(id.name) has no log yet", hint: "logs are written when catalyst runs: `cbuild \(id.name)`")
            }
            // Recorded relative to the build directory (older records: absolute).
            let file = path.hasPrefix("/") ? path : ws.root + "/" + path
            guard let h = FileHandle(forReadingAtPath: file) else {
                throw CommandError("the log \(path) is gone", hint: "`cbuild clean` removes logs with their outputs")
            }
            defer { try? h.close() }
            terminal.out(String(decoding: h.readDataToEndOfFile(), as: UTF8.self))
            guard follow, rec.state == .running else { return }
            while true {
                try await Task.sleep(nanoseconds: 500_000_000)
                let more = h.readDataToEndOfFile()
                if !more.isEmpty { terminal.out(String(decoding: more, as: UTF8.self)) }
                if let r = try ws.database.lastAttempt(node: id.name), r.id == rec.id, r.state != .running {
                    terminal.out(String(decoding: h.readDataToEndOfFile(), as: UTF8.self))
                    return
                }
            }
        }
    }
}
