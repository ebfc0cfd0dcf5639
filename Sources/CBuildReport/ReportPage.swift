import CBuildGraph
import CBuildProject
import CBuildState
import Foundation

/// The report as data: one value per thing the page shows, every string
/// still raw (escaping happens once, in `ReportHTML`). Built from
/// `ReportFacts` by `build(_:)`, a pure function, so the states, the
/// timeline order and the chart order are tested without a browser.
public struct ReportPage: Sendable {
    /// One node: its section, its graph node and (for stages) its bar.
    public struct Node: Sendable {
        public var name: String
        /// The `id` of its section; graph nodes and bars link to `#anchor`.
        public var anchor: String
        public var kind: RuleKind
        public var state: NodeState
        /// `build`, `re-render`, `reuse`, `clean`, `blocked`: what a build now would do.
        public var verdict: String
        public var dependencies: [String]
        public var current: Build?
        /// The newest attempt, when it failed or was interrupted after the current build.
        public var failedAttempt: Attempt?
        /// Why it would run now, followed down through changed dependencies.
        public var why: [Why]
        public var security: NodeSecurity?
    }

    /// A recorded build as the section shows it.
    public struct Build: Sendable, Equatable {
        /// The key's first 12 hex digits (the tag `sha256:` left out).
        public var keyPrefix: String
        public var catalyst: String?
        public var seconds: Double?
        public var startedAt: Date
        /// `succeeded`, `reused`, `fetched`.
        public var state: String
        public var output: String?
    }

    public struct Attempt: Sendable, Equatable {
        public var state: String
        public var startedAt: Date
        public var seconds: Double?
        public var message: String?
        public var logTail: [String]
        /// The log as recorded, relative to the build directory.
        public var logPath: String?
        /// The copy beside the report (relative to the report), linked from the page.
        public var logCopy: String?
    }

    /// One line of an explanation; `node` is set when it names a node of the page.
    public struct Why: Sendable, Equatable {
        public var text: String
        public var node: String?
        public var causes: [Why]
    }

    /// The moves of one role over time, oldest first, grouped by day.
    public struct Timeline: Sendable {
        /// `snapshot` or `seed`.
        public var kind: String
        /// The seed's name; empty for snapshots.
        public var name: String
        public var role: String
        public var days: [Day]
        public var title: String { kind == "seed" ? "seed \(name) · \(role)" : "snapshot · \(role)" }
    }

    public struct Day: Sendable {
        /// `YYYY-MM-DD` (UTC).
        public var date: String
        public var moves: [Move]
        /// Builds started that day (any node), oldest first.
        public var builds: [DayBuild]
    }

    public struct Move: Sendable, Equatable {
        public var at: Date
        /// `fetch`, `promote`, `rollback`, `locked`, …
        public var reason: String
        public var from: String?
        public var to: String
        public var actor: String
        public var note: String?
    }

    public struct DayBuild: Sendable, Equatable {
        public var node: String
        public var state: String
        public var at: Date
    }

    /// One bar of the duration chart.
    public struct Bar: Sendable, Equatable {
        public var node: String
        public var anchor: String
        public var seconds: Double
        public var state: NodeState
    }

    /// The nightly's result as the page shows it.
    public struct Nightly: Sendable {
        public struct Entry: Sendable, Equatable {
            public var node: String
            public var required: Bool
            public var seconds: Double
            public var message: String?
        }
        public var startedAt: Date
        public var finishedAt: Date?
        public var testing: String?
        public var stableBefore: String?
        public var stableAfter: String?
        /// The snapshot file downloaded (nil: already there).
        public var fetched: String?
        public var promoted: Bool
        public var interrupted: Bool
        public var built: [Entry]
        public var reused: [Entry]
        public var fromCache: [Entry]
        public var failed: [Entry]
        public var skipped: [Entry]
        public var exitStatus: Int32
        public var stableCatalystRuns: Int?
    }

    public var project: String
    public var generatedAt: Date
    public var nodes: [Node]
    public var timelines: [Timeline]
    public var bars: [Bar]
    public var nightly: Nightly?

    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    /// Edges (dependency → dependent) between nodes of the page.
    public var edges: [(from: String, to: String)] {
        let names = Set(nodes.map(\.name))
        return nodes.flatMap { n in n.dependencies.filter(names.contains).sorted().map { (from: $0, to: n.name) } }
    }

    /// How many nodes are in each state, in legend order, states with none left out.
    public var stateCounts: [(state: NodeState, count: Int)] {
        NodeState.legend.compactMap { s in
            let c = nodes.filter { $0.state.slug == s.slug }.count
            return c == 0 ? nil : (s, c)
        }
    }
}

extension ReportPage {
    /// Builds the page from the facts: no files, no clock, no database.
    public static func build(_ facts: ReportFacts) -> ReportPage {
        let planned = Dictionary(facts.nodes.map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        let anchors = Anchors(facts.nodes.map(\.node))
        var nodes: [Node] = []
        for p in facts.nodes {
            let cur = facts.current[p.node]
            let last = facts.lastAttempt[p.node]
            var failed: Attempt?
            if let last, last.state == .failed || last.state == .interrupted, last.id != cur?.id {
                failed = Attempt(state: last.state.rawValue, startedAt: last.startedAt, seconds: last.duration,
                                 message: last.message.map(firstLine), logTail: facts.logTails[p.node] ?? [], logPath: last.logPath,
                                 logCopy: facts.copiedLogs[p.node])
            }
            let current = cur.map {
                Build(keyPrefix: keyPrefix($0.key), catalyst: facts.catalyst[p.node], seconds: $0.duration,
                      startedAt: $0.startedAt, state: $0.state.rawValue, output: $0.outputs.first?.path)
            }
            nodes.append(Node(name: p.node, anchor: anchors[p.node], kind: p.kind, state: state(of: p, current: cur, last: last),
                              verdict: verdictWord(p), dependencies: p.dependencies, current: current, failedAttempt: failed,
                              why: why(p, planned: planned), security: facts.security[p.node]))
        }
        let bars = nodes.compactMap { n -> Bar? in
            guard n.kind == .action else { return nil }
            let seconds = n.current?.seconds ?? n.failedAttempt?.seconds
            guard let seconds else { return nil }
            return Bar(node: n.name, anchor: n.anchor, seconds: seconds, state: n.state)
        }.sorted { $0.seconds != $1.seconds ? $0.seconds > $1.seconds : $0.node < $1.node }
        let actionNames = Set(facts.nodes.filter { $0.kind == .action }.map(\.node))
        return ReportPage(project: facts.project, generatedAt: facts.generatedAt, nodes: nodes,
                          timelines: timelines(facts.roleMoves, attempts: facts.attempts.filter {
                              actionNames.contains($0.node) || planned[$0.node] == nil
                          }),
                          bars: bars, nightly: facts.nightly.map(nightly))
    }

    /// The state `cbuild status` would print, for any kind of node.
    static func state(of p: ReportFacts.Planned, current cur: NodeBuildHead?, last: NodeBuildHead?) -> NodeState {
        if p.outcome == .failed || p.outcome == .skipped || p.verdict == .blocked {
            let why = (p.message ?? "an input that cannot be built").split(separator: "\n").first.map(String.init) ?? ""
            return .blocked(by: why.replacingOccurrences(of: "not built: ", with: "").replacingOccurrences(of: " failed: ", with: ": "))
        }
        switch p.verdict {
        case .clean:
            if cur?.state == .fetched { return .fetched }
            if cur?.state == .reused { return .reused }
            return .upToDate
        case .reuse:
            return p.isFromCache ? .fetched : .reused
        default:
            if let last, last.state == .failed || last.state == .interrupted, last.key == p.key || p.key == nil {
                return last.state == .failed ? .failed : .interrupted
            }
            if cur == nil && last == nil && p.kind == .action { return .neverBuilt }
            if cur == nil && last == nil && p.reasons.contains(.neverBuilt) { return .neverBuilt }
            return .stale
        }
    }

    static func verdictWord(_ p: ReportFacts.Planned) -> String {
        switch p.verdict {
        case .build: return "build"
        case .update: return "re-render"
        case .reuse: return "reuse"
        case .clean: return "clean"
        case .blocked: return "blocked"
        }
    }

    static func keyPrefix(_ key: String) -> String {
        let hex = key.split(separator: ":").last.map(String.init) ?? key
        return String(hex.prefix(12))
    }

    /// The explanation of a node that would not stay clean, causes followed
    /// through dependencies that change too (as `cbuild explain` shows it).
    static func why(_ p: ReportFacts.Planned, planned: [String: ReportFacts.Planned]) -> [Why] {
        if p.verdict == .clean { return [] }
        if p.verdict == .blocked || p.outcome == .failed || p.outcome == .skipped, let m = p.message {
            return [Why(text: String(m.split(separator: "\n").first ?? "").replacingOccurrences(of: "not built: ", with: ""),
                        node: nil, causes: [])]
        }
        return tree(p.reasons, planned: planned, depth: 0, seen: [p.node])
    }

    static func tree(_ reasons: [Reason], planned: [String: ReportFacts.Planned], depth: Int, seen: Set<String>) -> [Why] {
        reasons.map { r in
            let dep = r.dependency?.name
            if let dep, !seen.contains(dep), let d = planned[dep], d.verdict != .clean, d.kind != .source, depth < 8 {
                let text: String
                if case .dependencyRebuilds = r { text = r.text } else { text = "\(dep) changed" }
                return Why(text: text, node: dep, causes: tree(d.reasons, planned: planned, depth: depth + 1, seen: seen.union([dep])))
            }
            // A failure's message carries the log's tail: its first line here, the tail under the attempt.
            return Why(text: firstLine(r.text), node: dep.flatMap { planned[$0] == nil ? nil : $0 }, causes: [])
        }
    }

    /// One timeline per (kind, name, role), ordered snapshot roles first then
    /// seeds by name; within one, days and moves oldest first (ties keep the
    /// order they were recorded in).
    static func timelines(_ moves: [RoleMoveRecord], attempts: [NodeBuildHead]) -> [Timeline] {
        let ordered = moves.enumerated().sorted { a, b in
            if a.element.at != b.element.at { return a.element.at < b.element.at }
            return (a.element.id ?? Int64(a.offset)) < (b.element.id ?? Int64(b.offset))
        }.map(\.element)
        var buildsByDay: [String: [DayBuild]] = [:]
        for a in attempts.sorted(by: { $0.startedAt != $1.startedAt ? $0.startedAt < $1.startedAt : $0.id < $1.id }) {
            buildsByDay[day(a.startedAt), default: []].append(DayBuild(node: a.node, state: a.state.rawValue, at: a.startedAt))
        }
        var groups: [String: [RoleMoveRecord]] = [:]
        var order: [(kind: String, name: String, role: String)] = []
        for m in ordered {
            let k = "\(m.kind)\u{0}\(m.name)\u{0}\(m.role)"
            if groups[k] == nil { order.append((m.kind, m.name, m.role)) }
            groups[k, default: []].append(m)
        }
        order.sort { a, b in
            if a.kind != b.kind { return a.kind == "snapshot" }
            if a.name != b.name { return a.name < b.name }
            return a.role < b.role
        }
        return order.map { g in
            let ms = groups["\(g.kind)\u{0}\(g.name)\u{0}\(g.role)"] ?? []
            var days: [Day] = []
            for m in ms {
                let d = day(m.at)
                let move = Move(at: m.at, reason: m.reason, from: m.oldValue, to: m.newValue, actor: m.actor, note: m.note)
                if days.last?.date == d { days[days.count - 1].moves.append(move) }
                else { days.append(Day(date: d, moves: [move], builds: buildsByDay[d] ?? [])) }
            }
            return Timeline(kind: g.kind, name: g.name, role: g.role, days: days)
        }
    }

    static func firstLine(_ s: String) -> String { s.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? s }

    static func day(_ date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    static func nightly(_ r: NightlyReport) -> Nightly {
        func entries(_ outcomes: Set<String>) -> [Nightly.Entry] {
            r.nodes.filter { outcomes.contains($0.outcome) }
                .map { Nightly.Entry(node: $0.node, required: $0.required, seconds: $0.seconds, message: $0.message) }
        }
        return Nightly(startedAt: r.startedAt, finishedAt: r.finishedAt, testing: r.testing, stableBefore: r.stableBefore,
                       stableAfter: r.stableAfter, fetched: r.fetched, promoted: r.promoted, interrupted: r.interrupted,
                       built: entries(["built"]), reused: entries(["reused", "clean"]), fromCache: entries(["fetched"]),
                       failed: entries(["failed", "interrupted"]), skipped: entries(["skipped"]),
                       exitStatus: r.exitStatus.rawValue, stableCatalystRuns: r.stableCatalystRuns)
    }
}
