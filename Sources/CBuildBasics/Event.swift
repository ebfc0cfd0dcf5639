import Foundation

/// Everything the core reports while it works. The core never prints: it
/// emits events to an `EventSink`, and the CLI's reporter renders them
/// (a live line per node on a terminal, plain timestamped lines elsewhere, JSON).
public enum Event: Sendable {
    case diagnostic(Diagnostic)
    /// A download began; `resumedFrom` > 0 when an earlier partial file is continued.
    case downloadStarted(url: String, destination: String, totalBytes: Int64?, resumedFrom: Int64)
    case downloadProgress(url: String, bytes: Int64, totalBytes: Int64?)
    case downloadFinished(url: String, bytes: Int64)
    /// An upload (to the shared cache) began; `source` is the local file.
    case uploadStarted(url: String, source: String, totalBytes: Int64)
    case uploadProgress(url: String, bytes: Int64, totalBytes: Int64)
    case uploadFinished(url: String, bytes: Int64)
    /// A node started to run (index is 1-based among the nodes that run).
    case nodeStarted(node: String, index: Int, total: Int, logPath: String?)
    /// A line of a running node's output (already written to its log).
    case nodeOutput(node: String, line: String)
    /// Progress parsed from a running node's output, e.g. "(3 of 12) dev-libs/openssl-3.3.2".
    case nodeProgress(node: String, detail: String)
    /// A node finished: outcome is "built", "reused", "fetched" (from the cache), "clean", "failed", "interrupted", "skipped".
    case nodeFinished(node: String, outcome: String, seconds: Double, message: String?)
}

/// Receives events. Implementations must be thread-safe: nodes run in parallel.
public protocol EventSink: Sendable {
    func emit(_ event: Event)
}

/// Drops everything.
public struct NullEventSink: EventSink {
    public init() {}
    public func emit(_ event: Event) {}
}

/// Keeps every event, for tests.
public final class CollectingEventSink: EventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Event] = []
    public init() {}
    public func emit(_ event: Event) { lock.lock(); storage.append(event); lock.unlock() }
    public var events: [Event] { lock.lock(); defer { lock.unlock() }; return storage }
    public var diagnostics: [Diagnostic] {
        events.compactMap { if case let .diagnostic(d) = $0 { return d } else { return nil } }
    }
}
