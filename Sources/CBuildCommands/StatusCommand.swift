import ArgumentParser
import CBuildBasics
import CBuildGraph
import CBuildProject
import CBuildPublish
import CBuildState
import Foundation

/// `cbuild status [NODE…]`: node, state, last build, duration.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each node's state: clean, stale, failed, never built.",
        discussion: """
            Examples:
              cbuild status
              cbuild status --json fleet/prod
              cbuild status --stale --check
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(help: "List only the nodes that would run (stale, never built, failed, blocked).") var stale = false
    @Flag(help: "Exit 1 when any listed node is not up to date (for scripts).") var check = false
    @Argument(help: "Nodes (default: all).", completion: NodeCompletion.kind) var nodes: [String] = []

    struct Row: Codable {
        var node: String
        /// clean, clean (from cache), stale, stale (reusable), stale (in the cache), never built,
        /// failed, interrupted, building, blocked.
        var state: String
        /// For a blocked node: what blocks it (the root cause), once per cause in the table.
        var blockedBy: String?
        /// Its fix, when the cause is bad input (`run cbuild snapshot fetch --role testing`).
        var hint: String?
        /// When the shown build or attempt started: the last attempt for a failed,
        /// interrupted or building node, else the current build.
        var lastBuild: Date?
        /// How long that build took; for a reused output, how long building it took.
        var duration: Double?
        var output: String?
        var key: String?
        /// Which catalyst built the current output (`catalyst --version`).
        var catalyst: String?

        /// What a publish node's current build produced (AMI, snapshot, region; blob URL).
        var published: PublishReceipt?

        var isUpToDate: Bool { state.hasPrefix("clean") }

        init(node: String, state: String, blockedBy: String? = nil, hint: String? = nil, lastBuild: Date? = nil,
             duration: Double? = nil, output: String? = nil, key: String? = nil, catalyst: String? = nil,
             published: PublishReceipt? = nil) {
            self.node = node; self.state = state; self.blockedBy = blockedBy; self.hint = hint; self.lastBuild = lastBuild
            self.duration = duration; self.output = output; self.key = key; self.catalyst = catalyst
            self.published = published
        }
    }

    func run() async throws {
        let status: ExitStatus = try await Session.with(global, access: .readOnly, command: "cbuild status", naming: nodes) { ws, terminal, reporter in
            let ids = nodes.isEmpty ? ws.graph.allIDs : try ws.graph.lookup(nodes)
            let plan = try await ws.engine().plan(ids, tolerateInputErrors: true)
            reporter.finish()
            // A few queries for the whole table, not one per node.
            let current = try ws.database.currentBuildHeads()
            let lastAttempts = try ws.database.lastAttemptHeads()
            let builtWith = try ws.database.currentInputDisplays(named: "catalyst")
            var rows: [Row] = []
            var byNode: [String: Row] = [:]
            for r in plan.results where r.explanation.kind == .action || r.explanation.kind == .phony && !nodes.isEmpty
                || (!nodes.isEmpty && nodes.contains(r.node.name)) {
                let row: Row
                if r.explanation.kind == .phony {
                    row = Self.group(r.node, members: ws.graph[r.node]?.dependencies ?? [], byNode)
                } else {
                    row = try Self.row(r, current: current[r.node.name], last: lastAttempts[r.node.name],
                                       catalyst: builtWith[r.node.name], database: ws.database, root: ws.root,
                                       buildRunning: ws.lock.writerHolding != nil)
                }
                byNode[row.node] = row
                rows.append(row)
            }
            if stale { rows = rows.filter { !$0.isUpToDate } }
            // Read-only: any status may be replayed while nothing it read changes.
            if ws.lock.writerHolding == nil {
                NoOpShortcut.offer(cacheDirectory: ws.directory.cacheDirectory, mode: .shared, command: "cbuild status")
            }
            let outcome: ExitStatus = check && rows.contains { !$0.isUpToDate } ? .nodeFailed : .success
            if global.json { terminal.line(try Session.json(rows)); return outcome }
            terminal.out(Self.table(rows))
            return outcome
        }
        if status != .success { throw ExitWith(status) }
    }

    /// One action node's row from its plan result and its recorded builds.
    static func row(_ r: NodeResult, current cur: NodeBuildHead?, last: NodeBuildHead?, catalyst: String?,
                    database: StateDatabase, root: String? = nil, buildRunning: Bool = true) throws -> Row {
        var state: String
        var shown = cur ?? last
        switch r.explanation.verdict {
        case .clean: state = cur?.state == .fetched && cur?.key == r.key ? "clean (from cache)" : "clean"
        case .reuse: state = r.explanation.isFromCache ? "stale (in the cache)" : "stale (reusable)"
        default:
            if let last, last.state == .failed || last.state == .interrupted, last.key == r.key || r.key == nil {
                state = last.state.rawValue
                shown = last
            } else if cur == nil && last == nil { state = "never built" }
            else { state = "stale" }
        }
        var blockedBy: String?
        if r.outcome == .failed || r.outcome == .skipped {
            blockedBy = (r.message ?? "an input is missing").split(separator: "\n")[0]
                .replacingOccurrences(of: "not built: ", with: "").replacingOccurrences(of: " failed: ", with: ": ")
            state = "blocked"
        }
        if let last, last.state == .running {
            // Running only while a cbuild holds the directory's lock; a row a
            // killed cbuild left behind is an interrupted attempt.
            state = buildRunning ? "building" : "interrupted"
            shown = last
        }
        var duration = shown?.duration
        if let s = shown, s.state == .reused {
            // The time it took to build the output this reuse made current.
            duration = try database.goodBuilds(key: s.key).first { $0.state == .succeeded || $0.state == .fetched }?.duration ?? duration
        }
        return Row(node: r.node.name, state: state, blockedBy: blockedBy, hint: blockedBy == nil ? nil : r.hint,
                   lastBuild: shown?.startedAt, duration: duration, output: cur?.outputs.first?.path, key: r.key,
                   catalyst: catalyst,
                   published: root.flatMap { root in cur?.outputs.first.flatMap { PublishReceipt.read(root: root, path: $0.path) } })
    }

    /// Every planned node's state in status's words: actions as their rows,
    /// derived and source nodes clean, stale (would be re-rendered), failed
    /// or blocked, groups from their members (`graph` uses the same words).
    static func states(_ plan: BuildSummary, _ ws: Workspace) throws -> [NodeID: String] {
        let current = try ws.database.currentBuildHeads()
        let lastAttempts = try ws.database.lastAttemptHeads()
        var rows: [String: Row] = [:]
        var out: [NodeID: String] = [:]
        for r in plan.results {
            switch r.explanation.kind {
            case .action:
                let row = try row(r, current: current[r.node.name], last: lastAttempts[r.node.name], catalyst: nil, database: ws.database,
                                  buildRunning: ws.lock.writerHolding != nil)
                rows[r.node.name] = row
                out[r.node] = row.state
            case .phony:
                let row = group(r.node, members: ws.graph[r.node]?.dependencies ?? [], rows)
                rows[r.node.name] = row
                out[r.node] = row.state.split(separator: " ").first.map(String.init) ?? row.state
            case .source, .derived:
                let state = r.outcome == .failed ? "failed" : r.outcome == .skipped ? "blocked"
                    : r.explanation.verdict == .clean ? "clean" : current[r.node.name] == nil ? "never built" : "stale"
                rows[r.node.name] = Row(node: r.node.name, state: state)
                out[r.node] = state
            }
        }
        return out
    }

    /// A fleet (or `all`) is clean only when every member is.
    static func group(_ id: NodeID, members: [NodeID], _ rows: [String: Row]) -> Row {
        let states = members.map { rows[$0.name]?.state ?? "stale" }
        let notClean = states.filter { !$0.hasPrefix("clean") }.count
        let state: String
        if notClean == 0 { state = "clean" }
        else if states.contains("blocked") { state = "blocked" }
        else if states.contains("failed") { state = "failed" }
        else { state = "stale" }
        let blockedBy = members.compactMap { rows[$0.name]?.blockedBy }.first
        return Row(node: id.name, state: notClean == 0 ? state : "\(state) (\(notClean) of \(members.count) members)",
                   blockedBy: blockedBy, hint: members.compactMap { rows[$0.name]?.hint }.first,
                   lastBuild: nil, duration: nil, output: nil, key: nil, catalyst: nil)
    }

    /// The table, with each blocking cause named once under it (`[1] …`).
    static func table(_ rows: [Row]) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "yyyy-MM-dd HH:mm"
        var causes: [String] = []
        let anyPublished = rows.contains { $0.published != nil }
        let body = rows.map { r -> [String] in
            var state = r.state
            if let cause = r.blockedBy {
                let text = cause + (r.hint.map { " — \($0)" } ?? "")
                if !causes.contains(text) { causes.append(text) }
                state += " [\(causes.firstIndex(of: text)! + 1)]"
            }
            return [r.node, state, r.lastBuild.map(f.string(from:)) ?? "-", r.duration.map(Reporter.duration) ?? "-"]
                + (anyPublished ? [r.published?.summary ?? "-"] : [])
        }
        var out = TableView.render([["NODE", "STATE", "LAST BUILD", "DURATION"] + (anyPublished ? ["PUBLISHED"] : [])] + body)
        if !causes.isEmpty { out += "\n" + causes.enumerated().map { "[\($0.offset + 1)] \($0.element)" }.joined(separator: "\n") + "\n" }
        return out
    }
}

/// Plain aligned columns.
enum TableView {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension StatusCommand: PrintsData {}
