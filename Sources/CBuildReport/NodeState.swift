/// What the report says about a node right now, decided from the plan and
/// the recorded builds the way `cbuild status` decides it. Every state has
/// a CSS class, a colour pair and a word, so a reader never depends on the
/// colour alone (the word is printed beside it everywhere).
public enum NodeState: Sendable, Hashable {
    /// Clean: its current build has the key it would have now.
    case upToDate
    /// Would run (or re-render): an input changed since its current build.
    case stale
    /// No attempt recorded.
    case neverBuilt
    /// The newest attempt with the current inputs failed.
    case failed
    /// The newest attempt with the current inputs was interrupted.
    case interrupted
    /// Cannot run now: `by` names what stops it (a failing dependency, a missing input).
    case blocked(by: String)
    /// Current by reuse of an earlier build with the same key (promotion,
    /// rollback), or would be made current that way without running.
    case reused
    /// Current from the shared cache, or would be fetched from it.
    case fetched

    /// Every state once, in the order the legend lists them.
    public static let legend: [NodeState] = [.upToDate, .reused, .fetched, .stale, .neverBuilt, .failed, .interrupted, .blocked(by: "")]

    /// The class on the node's section, its graph node and its bar: `state-…`.
    public var cssClass: String { "state-" + slug }

    public var slug: String {
        switch self {
        case .upToDate: return "up-to-date"
        case .stale: return "stale"
        case .neverBuilt: return "never-built"
        case .failed: return "failed"
        case .interrupted: return "interrupted"
        case .blocked: return "blocked"
        case .reused: return "reused"
        case .fetched: return "fetched"
        }
    }

    /// The word shown beside the colour.
    public var word: String {
        switch self {
        case .upToDate: return "up to date"
        case .stale: return "stale"
        case .neverBuilt: return "never built"
        case .failed: return "failed"
        case .interrupted: return "interrupted"
        case .blocked: return "blocked"
        case .reused: return "reused"
        case .fetched: return "from the shared cache"
        }
    }

    /// The word with what blocks it, for titles and the node's heading.
    public var label: String {
        if case let .blocked(by) = self, !by.isEmpty { return "blocked by \(by)" }
        return word
    }

    /// Fill and stroke (the graph, the legend and the bars use the same pair;
    /// the stroke is dark enough for text on white, WCAG AA).
    public var colours: (fill: String, stroke: String) {
        switch self {
        case .upToDate: return ("#d7f0d8", "#1b5e20")
        case .reused: return ("#d6eaf8", "#0d47a1")
        case .fetched: return ("#d2f0ee", "#00695c")
        case .stale: return ("#fff0c2", "#8a5a00")
        case .neverBuilt: return ("#ececec", "#424242")
        case .failed: return ("#f9d6da", "#a00018")
        case .interrupted: return ("#ffe0c2", "#a33f00")
        case .blocked: return ("#e6dcf3", "#4a2a8a")
        }
    }

    /// Whether a reader needs to act: shown first in the summary.
    public var needsAttention: Bool {
        switch self {
        case .failed, .interrupted, .blocked: return true
        default: return false
        }
    }
}
