import CBuildBasics
import Foundation

/// Lays a graph out as SVG. The report's only outside tool: the real one
/// runs Graphviz `dot`; tests may pass another.
public protocol GraphLayout: Sendable {
    /// Fails before any work when the tool is missing (exit 2, naming the package).
    func check() throws
    /// SVG for the DOT source.
    func svg(dot: String) throws -> String
}

/// Graphviz's `dot -Tsvg` (Debian package `graphviz`).
public struct GraphvizLayout: GraphLayout {
    public var runner: any ProcessRunning
    public var path: String?

    public init(runner: any ProcessRunning = SystemProcessRunner(), path: String? = ProcessInfo.processInfo.environment["PATH"]) {
        self.runner = runner; self.path = path
    }

    private func executable() throws -> String {
        guard let dot = Executables.find("dot", path: path) else { throw ReportError.dotMissing }
        return dot
    }

    public func check() throws { _ = try executable() }

    public func svg(dot source: String) throws -> String {
        let r = try runner.run([try executable(), "-Tsvg"], environment: nil, currentDirectory: nil, input: Array(source.utf8))
        guard r.succeeded else { throw ReportError.dotFailed(r.stderrString.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return r.stdoutString
    }
}
