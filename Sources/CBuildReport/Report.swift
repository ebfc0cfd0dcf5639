import CBuildBasics
import CBuildGraph
import CBuildProject
import CBuildState
import Foundation

/// `cbuild report`: reads the facts from an open workspace (the plan as
/// `status` makes it, recorded builds, role history, the nightly), builds
/// the page, lays the graph out with `dot` and writes the static site:
///
///     DIR/index.html      the page (no script, no network)
///     DIR/report.css      its one stylesheet
///     DIR/logs/*.txt      copies of failed attempts' logs, linked from the page
///     DIR/nightly.json    the nightly's result, when one was given
///
/// Never prints; problems go to the workspace's event sink.
public enum Report {
    public struct Options: Sendable {
        /// The report's directory (absolute).
        public var out: String
        /// The nightly to show (see `previousNightly(in:)`); saved as `out/nightly.json`.
        public var nightly: NightlyReport?
        /// Shown as where the nightly came from.
        public var nightlySource: String?
        public var layout: any GraphLayout
        /// Package and advisory data; nil (the default): none shown.
        public var security: (any ReportSecuritySource)?
        /// Log lines shown under a failed attempt.
        public var logLines: Int
        public var now: Date

        public init(out: String, nightly: NightlyReport? = nil, nightlySource: String? = nil,
                    layout: any GraphLayout = GraphvizLayout(), security: (any ReportSecuritySource)? = nil,
                    logLines: Int = 30, now: Date = Date()) {
            self.out = out; self.nightly = nightly; self.nightlySource = nightlySource; self.layout = layout
            self.security = security; self.logLines = logLines; self.now = now
        }
    }

    /// What was written.
    public struct Written: Sendable, Codable {
        public var index: String
        public var nodes: Int
        public var copiedLogs: Int
    }

    public static let nightlyFile = "nightly.json"

    /// Reads a `cbuild nightly --json-report` file.
    public static func loadNightly(_ path: String) throws -> NightlyReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportError.badNightly(path: path, reason: "cannot read it")
        }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        do { return try d.decode(NightlyReport.self, from: data) } catch {
            throw ReportError.badNightly(path: path, reason: "\(error)".split(separator: "\n").first.map(String.init) ?? "")
        }
    }

    /// The nightly an earlier `nightly --report DIR` left in the report's
    /// directory (`DIR/nightly.json`), with its path; nil when there is none.
    /// cbuild does not search elsewhere: it cannot know where a
    /// `--json-report FILE` went, and guessing could show another job's night.
    public static func previousNightly(in out: String) throws -> (report: NightlyReport, path: String)? {
        let path = out + "/" + nightlyFile
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return (try loadNightly(path), path)
    }

    public static func write(_ ws: Workspace, nodes roots: [NodeID], options: Options) async throws -> Written {
        try options.layout.check()
        let previous = options.out + "/" + nightlyFile
        let facts = try await gather(ws, roots: roots, options: options)
        let page = ReportPage.build(facts)
        let svg = try DagDot.inline(try options.layout.svg(dot: DagDot.source(page)),
                                    label: "Dependency graph of \(page.nodes.count) nodes, coloured by state")
        let html = ReportHTML.render(page, dag: svg, nightlySource: options.nightlySource.map { relative($0, to: ws.root) })
        try save(html, options.out + "/index.html")
        try save(ReportCSS.text, options.out + "/" + ReportHTML.stylesheet)
        if let n = options.nightly, options.nightlySource == nil || options.nightlySource != previous {
            try save(try n.json(), previous)
        }
        return Written(index: options.out + "/index.html", nodes: page.nodes.count, copiedLogs: facts.copiedLogs.count)
    }

    /// The facts for the nodes and everything they need, read in a few
    /// queries; failed attempts' logs are tailed and copied into `out/logs`.
    static func gather(_ ws: Workspace, roots: [NodeID], options: Options) async throws -> ReportFacts {
        let order = ws.graph.closure(of: roots)
        let plan = try await ws.engine().plan(roots, tolerateInputErrors: true)
        var results: [NodeID: NodeResult] = [:]
        for r in plan.results { results[r.node] = r }
        let planned: [ReportFacts.Planned] = order.compactMap { id in
            let deps = ws.graph[id]?.dependencies.map(\.name) ?? []
            if let r = results[id] { return ReportFacts.Planned(r, dependencies: deps) }
            guard let def = ws.graph[id] else { return nil }
            return ReportFacts.Planned(node: id.name, kind: def.rule.kind, verdict: .blocked, outcome: .skipped,
                                       message: "not planned", dependencies: deps)
        }
        let db = ws.database
        let current = try db.currentBuildHeads()
        let last = try db.lastAttemptHeads()
        var moves = try db.roleHistory(kind: "snapshot", name: "")
        for seed in ws.configuration.project.seeds { moves += try db.roleHistory(kind: "seed", name: seed.name) }
        let attempts = try db.history(node: nil, limit: 5000).map(NodeBuildHead.init)

        // Failed attempts: the log's last lines, and a copy beside the report.
        let fm = FileManager.default
        // Files are only added: DIR may be a CI artifact directory that already has a logs/ of its own.
        let logsDir = options.out + "/logs"
        var tails: [String: [String]] = [:], copies: [String: String] = [:]
        for p in planned {
            guard let l = last[p.node], l.state == .failed || l.state == .interrupted, l.id != current[p.node]?.id,
                  let log = l.logPath else { continue }
            let full = log.hasPrefix("/") ? log : ws.root + "/" + log
            // Catalyst logs can be large: only their end is read, and the copy is made by the file system.
            guard let handle = FileHandle(forReadingAtPath: full) else { continue }
            let size = (try? handle.seekToEnd()) ?? 0
            try? handle.seek(toOffset: size > 256 * 1024 ? size - 256 * 1024 : 0)
            let end = (try? handle.readToEnd()) ?? Data()
            try? handle.close()
            tails[p.node] = tail(String(decoding: end, as: UTF8.self), lines: options.logLines)
            let name = "logs/" + fileName(p.node) + "-" + (log as NSString).lastPathComponent + ".txt"
            do {
                try fm.createDirectory(atPath: logsDir, withIntermediateDirectories: true)
                try? fm.removeItem(atPath: options.out + "/" + name)
                try fm.copyItem(atPath: full, toPath: options.out + "/" + name)
                copies[p.node] = name
            } catch {
                throw ReportError.cannotWrite(path: options.out + "/" + name, reason: error.localizedDescription)
            }
        }
        var security: [String: NodeSecurity] = [:]
        if let source = options.security {
            for p in planned { if let s = try source.security(node: p.node, current: current[p.node]) { security[p.node] = s } }
        }
        return ReportFacts(project: ws.configuration.project.name, generatedAt: options.now, nodes: planned,
                           current: current, lastAttempt: last,
                           catalyst: (try? db.currentInputDisplays(named: "catalyst")) ?? [:],
                           roleMoves: moves, attempts: attempts, logTails: tails, copiedLogs: copies,
                           nightly: options.nightly, security: security)
    }

    /// The last `lines` lines without terminal codes (a final newline ends the last line, not a new one).
    static func tail(_ text: String, lines: Int) -> [String] {
        var all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if all.last == "" { all.removeLast() }
        return all.suffix(lines).map(HTML.strippingTerminalCodes)
    }

    /// `stage4/vm/test@testing` → `stage4_vm_test@testing`.
    static func fileName(_ node: String) -> String {
        String(node.unicodeScalars.map { s -> Character in
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || "@.-".unicodeScalars.contains(s)
                ? Character(s) : "_"
        })
    }

    static func relative(_ path: String, to root: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    static func save(_ text: String, _ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ReportError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
