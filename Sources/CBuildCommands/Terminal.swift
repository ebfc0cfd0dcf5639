import CBuildBasics
import Foundation

/// Where the CLI writes: standard output for data, standard error for
/// progress and diagnostics. Whether each is a terminal decides between a
/// live display and plain lines. Tests capture both.
public final class Terminal: @unchecked Sendable {
    public enum ColorMode: String, Sendable, CaseIterable { case auto, never, always }

    private let lock = NSLock()
    private let writeOut: @Sendable (String) -> Void
    private let writeErr: @Sendable (String) -> Void
    public let stdoutIsTTY: Bool
    public let stderrIsTTY: Bool
    public let color: Bool
    public let width: Int

    public init(colorMode: ColorMode = .auto,
                writeOut: (@Sendable (String) -> Void)? = nil, writeErr: (@Sendable (String) -> Void)? = nil,
                stdoutIsTTY: Bool? = nil, stderrIsTTY: Bool? = nil) {
        // The process's own output is kept for a no-op record while its reads are watched.
        self.writeOut = writeOut ?? { s in NoOpRecord.captureOutput(fd: 1, s); FileHandle.standardOutput.write(Data(s.utf8)) }
        self.writeErr = writeErr ?? { s in NoOpRecord.captureOutput(fd: 2, s); FileHandle.standardError.write(Data(s.utf8)) }
        let env = ProcessInfo.processInfo.environment
        let dumb = env["TERM"] == "dumb" || env["TERM"] == nil
        self.stdoutIsTTY = stdoutIsTTY ?? (isatty(1) == 1 && !dumb)
        self.stderrIsTTY = stderrIsTTY ?? (isatty(2) == 1 && !dumb)
        switch colorMode {
        case .always: color = true
        case .never: color = false
        case .auto: color = self.stderrIsTTY && env["NO_COLOR"] == nil
        }
        var ws = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 20 { width = Int(ws.ws_col) } else { width = 100 }
    }

    public func out(_ s: String) { lock.lock(); writeOut(s); lock.unlock() }
    public func err(_ s: String) { lock.lock(); writeErr(s); lock.unlock() }
    public func line(_ s: String) { out(s + "\n") }
    public func errLine(_ s: String) { err(s + "\n") }

    public func paint(_ s: String, _ code: String) -> String { color ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }
    public func bold(_ s: String) -> String { paint(s, "1") }
    public func red(_ s: String) -> String { paint(s, "31") }
    public func green(_ s: String) -> String { paint(s, "32") }
    public func yellow(_ s: String) -> String { paint(s, "33") }
    public func dim(_ s: String) -> String { paint(s, "2") }
}
