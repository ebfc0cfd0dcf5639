import CBuildBasics
import Foundation

/// Why a node will run (or was reused), recorded where the decision is
/// made (the engine) and only rendered elsewhere (the CLI).
public enum Reason: Sendable, Hashable, Codable {
    case neverBuilt
    case outputMissing(path: String)
    /// `note` says what the new recipe takes into account ("key scheme changed: …").
    case recipeChanged(old: String, new: String, note: String?)
    case settingsChanged(old: [String], new: [String])
    /// An input's digest changed; `details` are leaf-level differences
    /// ("packages +net-misc/mosh", "line 12: -a +b").
    case inputChanged(name: String, old: String?, new: String?, details: [String])
    case inputAdded(name: String, value: String?)
    case inputRemoved(name: String, value: String?)
    /// A dependency is rebuilt first; this node runs if its output changes.
    case dependencyRebuilds(NodeID)
    case previousAttempt(state: String, message: String?)
    /// The newest attempt after the current good build failed or was
    /// interrupted; the other reasons compare with that good build.
    case lastAttemptFailed(node: String, state: String, at: Double)
    /// Not a reason to run: an earlier intact build with the same key is reused.
    case reusesEarlierBuild(id: Int64, node: String, at: Double)
    /// Not a reason to run: complete outputs of this key were found on disk
    /// with no record (the state database was lost) and are adopted.
    case adoptedFromFiles(paths: [String])
    /// Not a reason to run: the shared cache holds a signed build of the key.
    case fromCache(entry: String, builtBy: String, at: Double)

    /// One line, e.g. `snapshot/stable: portage-20261120 → portage-20261124`.
    public var text: String {
        switch self {
        case .neverBuilt: return "never built"
        case let .outputMissing(p): return "output missing: \(p)"
        case let .recipeChanged(o, n, note):
            return note.map { "\($0) (\(o) → \(n))" } ?? "recipe version changed: \(o) → \(n)"
        case let .settingsChanged(o, n): return "settings changed: \(o.joined(separator: " ")) → \(n.joined(separator: " "))"
        case let .inputChanged(name, o, n, details):
            var s = "\(name) changed"
            if let o, let n, o != n, !o.contains("\n"), !n.contains("\n") { s = "\(name): \(o) → \(n)" }
            if !details.isEmpty { s += ": " + details.joined(separator: "; ") }
            return s
        case let .inputAdded(name, v): return "new input \(name)" + (v.map { " (\($0))" } ?? "")
        case let .inputRemoved(name, v): return "input \(name) removed" + (v.map { " (was \($0))" } ?? "")
        case let .dependencyRebuilds(d): return "\(d) will be rebuilt first"
        case let .previousAttempt(state, m): return "last attempt \(state)" + (m.map { ": \($0)" } ?? "")
        case let .lastAttemptFailed(node, state, at):
            let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: at))
            return "last attempt \(state) at \(when) (see `cbuild log \(node)`); compared with the current good build"
        case let .reusesEarlierBuild(id, node, _): return "reuses intact earlier build #\(id) (\(node)) with the same key"
        case let .adoptedFromFiles(paths): return "adopts \(paths.first ?? "its outputs"), found complete on disk with no record"
        case let .fromCache(entry, by, at):
            return "from cache: \(entry) (built by \(by), \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: at))))"
        }
    }

    /// The dependency this reason points at, to follow the cause down.
    public var dependency: NodeID? {
        switch self {
        case let .dependencyRebuilds(d): return d
        case let .inputChanged(name, _, _, _), let .inputAdded(name, _): return NodeID(name)
        default: return nil
        }
    }
}

/// What happens to one node in a plan or a build.
public enum Verdict: String, Sendable, Codable {
    /// Up to date; nothing to do.
    case clean
    /// A derived node whose content changed (rendered anew, cheap).
    case update
    /// An action node that runs.
    case build
    /// An earlier build with the same key is made current again.
    case reuse
    /// Cannot run: a dependency failed or was interrupted.
    case blocked
}

/// The decision for a node with the reasons that led to it.
public struct Explanation: Sendable, Codable {
    public var node: NodeID
    public var kind: RuleKind
    public var verdict: Verdict
    public var reasons: [Reason]
    public var key: String?
    public var previousKey: String?
    public init(node: NodeID, kind: RuleKind, verdict: Verdict, reasons: [Reason], key: String?, previousKey: String?) {
        self.node = node; self.kind = kind; self.verdict = verdict; self.reasons = reasons
        self.key = key; self.previousKey = previousKey
    }

    /// Whether the node's build comes from the shared cache.
    public var isFromCache: Bool { reasons.contains { if case .fromCache = $0 { return true } else { return false } } }
}

/// Computes the differences between recorded and current inputs, down to
/// leaf values: for structured displays (`key: v1 v2` lines) the tokens
/// added and removed per key; otherwise old → new.
public enum InputDiff {
    public static func reasons(old: [NodeInput], new: [NodeInput]) -> [Reason] {
        let o = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let n = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Reason] = []
        for name in Set(o.keys).union(n.keys).sorted() {
            switch (o[name], n[name]) {
            case let (a?, b?) where a.digest != b.digest:
                out.append(.inputChanged(name: b.shownName, old: a.display, new: b.display,
                                         details: details(old: a.display, new: b.display)))
            case let (nil, b?): out.append(.inputAdded(name: b.shownName, value: b.display))
            case let (a?, nil): out.append(.inputRemoved(name: a.shownName, value: a.display))
            default: break
            }
        }
        return out
    }

    /// Leaf differences between two display values. Multi-line values of the
    /// form `key: tokens…` are compared per key (`packages +a -b`); other
    /// multi-line text by line (`+line`, `-line`, first few only).
    public static func details(old: String?, new: String?) -> [String] {
        guard let old, let new, old != new else { return [] }
        if !old.contains("\n") && !new.contains("\n") { return [] }
        let ok = keyed(old), nk = keyed(new)
        if let ok, let nk {
            var out: [String] = []
            for k in Set(ok.keys).union(nk.keys).sorted() {
                let a = ok[k] ?? [], b = nk[k] ?? []
                if a == b { continue }
                let added = b.filter { !a.contains($0) }, removed = a.filter { !b.contains($0) }
                var parts = added.map { "+\($0)" } + removed.map { "-\($0)" }
                if parts.isEmpty { parts = ["reordered"] }
                out.append("\(k) " + parts.joined(separator: " "))
            }
            return out
        }
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [String] = []
        let removed = a.filter { !b.contains($0) }, added = b.filter { !a.contains($0) }
        for l in removed.prefix(5) { out.append("-\(l)") }
        for l in added.prefix(5) { out.append("+\(l)") }
        let more = removed.count + added.count - min(removed.count, 5) - min(added.count, 5)
        if more > 0 { out.append("… \(more) more lines") }
        return out
    }

    private static func keyed(_ s: String) -> [String: [String]]? {
        var out: [String: [String]] = [:]
        for line in s.split(separator: "\n") {
            guard let r = line.range(of: ": ") ?? (line.hasSuffix(":") ? line.index(before: line.endIndex)..<line.endIndex : nil)
            else { return nil }
            let k = String(line[..<r.lowerBound])
            if k.contains(" ") { return nil }
            out[k] = line[r.upperBound...].split(separator: " ").map(String.init)
        }
        return out.isEmpty ? nil : out
    }
}
