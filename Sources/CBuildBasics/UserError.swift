/// An error caused by the user's input or environment, as opposed to a bug.
/// Each module's error enum conforms so the CLI can render one clear line
/// (location, message, key), an optional hint, and exit with the documented code.
public protocol UserError: Error, CustomStringConvertible, Sendable {
    /// Which documented exit code this error ends the command with.
    var exitStatus: ExitStatus { get }
    /// File/line/key the error is about, when there is one.
    var location: SourceLocation? { get }
    /// The one-line message, without the location prefix.
    var message: String { get }
    /// A suggestion: "did you mean …", what to run next.
    var hint: String? { get }
}

extension UserError {
    public var location: SourceLocation? { nil }
    public var hint: String? { nil }
    /// `file:line:col: message (key 'k')` — one line.
    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += message
        return s
    }
}

/// Suggestions for misspelled names: keys, node names, features.
public enum Suggest {
    /// Levenshtein distance, small strings only.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// The closest candidate within a distance proportional to the name's
    /// length, or nil. Ties resolve to the first candidate in order.
    public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        let limit = max(2, name.count / 3)
        for c in candidates {
            let d = distance(name.lowercased(), c.lowercased())
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// "did you mean 'x'?" or nil.
    public static func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String? {
        closest(to: name, among: candidates).map { "did you mean '\($0)'?" }
    }
}
