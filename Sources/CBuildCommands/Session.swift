import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildProject
import Foundation

/// Opens a workspace for a command and always closes it (flushes the digest
/// cache, releases the lock), whatever the command throws.
enum Session {
    static func with<T>(_ global: GlobalOptions, access: Workspace.Access, command: String,
                        graphOptions: ProjectGraph.Options = .init(), naming: [String] = [], building: [String]? = nil,
                        _ body: (Workspace, Terminal, Reporter) async throws -> T) async throws -> T {
        let (terminal, reporter) = global.makeOutput()
        let ws = try Workspace.open(explicit: global.directory, access: access, command: command,
                                    events: reporter, graphOptions: graphOptions, naming: naming, building: building)
        defer { reporter.finish(); ws.close() }
        return try await body(ws, terminal, reporter)
    }

    /// JSON with sorted keys and ISO dates, one document.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
