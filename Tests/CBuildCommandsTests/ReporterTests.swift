import CBuildBasics
@testable import CBuildCommands
import Foundation
import Testing

/// The reporter is the only writer to the terminal: plain timestamped lines
/// when stderr is not a terminal, a live line per running node when it is.
@Suite struct ReporterTests {
    final class Capture: @unchecked Sendable {
        let lock = NSLock()
        var text = ""
        func add(_ s: String) { lock.lock(); text += s; lock.unlock() }
        var value: String { lock.lock(); defer { lock.unlock() }; return text }
    }

    func reporter(tty: Bool) -> (Reporter, Capture) {
        let c = Capture()
        let t = Terminal(colorMode: .never, writeOut: { c.add($0) }, writeErr: { c.add($0) }, stdoutIsTTY: tty, stderrIsTTY: tty)
        return (Reporter(terminal: t), c)
    }

    @Test func plainLinesCarryTimeNodeAndEmergeProgress() {
        let (r, c) = reporter(tty: false)
        r.emit(.nodeStarted(node: "stage4/workstation", index: 1, total: 2, logPath: nil))
        r.emit(.nodeProgress(node: "stage4/workstation", detail: "(3 of 12) dev-libs/openssl-3.3.2"))
        r.emit(.nodeFinished(node: "stage4/workstation", outcome: "failed", seconds: 75, message: "catalyst exited with status 2\nmore"))
        r.finish()
        let lines = c.value.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[0].hasSuffix("[1/2] stage4/workstation"))
        #expect(lines[1].hasSuffix("stage4/workstation: (3 of 12) dev-libs/openssl-3.3.2"))
        #expect(lines[2].contains("FAILED stage4/workstation in 1m15s: catalyst exited with status 2"))
        #expect(lines.allSatisfy { $0.range(of: #"^\d\d:\d\d:\d\d "#, options: .regularExpression) != nil })
    }

    @Test func terminalShowsALiveLineWithElapsedTimeAndProgress() {
        let (r, c) = reporter(tty: true)
        r.emit(.nodeStarted(node: "stage4/vm/test", index: 2, total: 3, logPath: nil))
        r.emit(.nodeProgress(node: "stage4/vm/test", detail: "(5 of 8) net-misc/openssh-9.8"))
        r.emit(.diagnostic(Diagnostic(.warning, "cache unreachable")))
        r.finish()
        let out = c.value
        #expect(out.contains("  [2/3] stage4/vm/test  0:00  (5 of 8) net-misc/openssh-9.8"), "\(out)")
        #expect(out.contains("\u{1b}[1A\u{1b}[2K"), "the live line is redrawn in place")
        #expect(out.contains("warning: cache unreachable"))
    }

    /// Issue #17: an error or warning about a file starts with its label,
    /// like every other message, and names the file right after it.
    @Test func aDiagnosticAboutAFileStartsWithItsLabelThenTheFile() {
        let t = Terminal(colorMode: .never, writeOut: { _ in }, writeErr: { _ in }, stdoutIsTTY: false, stderrIsTTY: false)
        let at = SourceLocation(file: "targets/workstation.toml", line: 4, column: 1, key: "pakages")
        let e = Reporter.format(Diagnostic(.error, "unknown key 'pakages'", location: at, hint: "did you mean 'packages'?"), t)
        #expect(e == "error: targets/workstation.toml:4:1: unknown key 'pakages'\n  hint: did you mean 'packages'?", "\(e)")
        let w = Reporter.format(Diagnostic(.warning, "unused", location: SourceLocation(file: "cbuild.toml", line: 2, key: "x")), t)
        #expect(w == "warning: cbuild.toml:2: unused (key 'x')", "\(w)")
        #expect(Reporter.format(Diagnostic(.warning, "cache unreachable"), t) == "warning: cache unreachable")
    }

    @Test func downloadBarShowsPercentRateAndETA() {
        let bar = Reporter.progressBar("gentoo-20261124.xz.sqfs", bytes: 50 << 20, total: 100 << 20, resumed: 0, elapsed: 5, width: 100)
        #expect(bar.contains(" 50%"))
        #expect(bar.contains("10.0 MiB/s"))
        #expect(bar.contains("ETA 0:05"))
        #expect(bar.count <= 100)
    }

    @Test func globalOptionsBeforeASubcommandReachIt() {
        #expect(CBuildMain.hoistGlobalOptions(["-C", "/x", "status", "a"]) == ["status", "-C", "/x", "a"])
        #expect(CBuildMain.hoistGlobalOptions(["-C", "/x", "stage4/a"]) == ["-C", "/x", "stage4/a"])
        #expect(CBuildMain.hoistGlobalOptions(["--json", "-v", "graph"]) == ["graph", "--json", "-v"])
        #expect(CBuildMain.hoistGlobalOptions(["-C", "/x", "snapshot", "fetch", "--role", "t"]) == ["snapshot", "fetch", "-C", "/x", "--role", "t"])
    }
}
