import Foundation

/// Turns SIGINT/SIGTERM into a call (the engine's interrupt, which passes
/// SIGTERM to each running catalyst's whole process group) while a build
/// runs; `cancel()` restores the default handlers.
public final class InterruptForwarder: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    public init(_ action: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler(handler: action)
            s.resume()
            sources.append(s)
        }
    }

    public func cancel() {
        for s in sources { s.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
