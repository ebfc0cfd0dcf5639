import CBuildBasics
import Foundation

/// The only place that turns the core's events into text. On a terminal it
/// keeps one live line per running node (elapsed time and emerge progress)
/// and a progress bar per download; elsewhere it writes plain timestamped
/// lines. `quiet` keeps errors and warnings only.
public final class Reporter: EventSink, @unchecked Sendable {
    public let terminal: Terminal
    public let verbose: Bool
    public let quiet: Bool
    private let lock = NSLock()
    private struct Running { var index: Int; var total: Int; var start: Date; var detail: String }
    private var running: [String: Running] = [:]
    private var runningOrder: [String] = []
    private struct Download { var name: String; var start: Date; var bytes: Int64; var total: Int64?; var resumed: Int64 }
    private var downloads: [String: Download] = [:]
    private var liveLines = 0
    private var timer: DispatchSourceTimer?
    private var lastPlainProgress: [String: Date] = [:]

    public init(terminal: Terminal, verbose: Bool = false, quiet: Bool = false) {
        self.terminal = terminal
        self.verbose = verbose
        self.quiet = quiet
    }

    private var live: Bool { terminal.stderrIsTTY && !quiet }

    public func emit(_ event: Event) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case let .diagnostic(d):
            clearLive()
            if !(quiet && d.severity == .note) { terminal.err(Reporter.format(d, terminal) + "\n") }
            drawLive()
        case let .downloadStarted(url, _, total, resumed):
            let name = (url as NSString).lastPathComponent
            downloads[url] = Download(name: name, start: Date(), bytes: resumed, total: total, resumed: resumed)
            if !live && !quiet {
                terminal.err(plainStamp() + "download \(url)" + (resumed > 0 ? " (resuming at \(Reporter.bytes(resumed)))" : "")
                             + (total.map { ", \(Reporter.bytes($0))" } ?? "") + "\n")
            }
            redraw()
        case let .downloadProgress(url, bytes, total):
            downloads[url]?.bytes = bytes
            if total != nil { downloads[url]?.total = total }
            if live { startTimer() } else if !quiet, let d = downloads[url] {
                let nowT = Date()
                if nowT.timeIntervalSince(lastPlainProgress[url] ?? .distantPast) >= 5 {
                    lastPlainProgress[url] = nowT
                    terminal.err(plainStamp() + "  \(d.name): \(Reporter.bytes(bytes))" + (d.total.map { " of \(Reporter.bytes($0))" } ?? "") + "\n")
                }
            }
        case let .downloadFinished(url, bytes):
            let d = downloads.removeValue(forKey: url)
            clearLive()
            if !quiet {
                let secs = d.map { Date().timeIntervalSince($0.start) } ?? 0
                let rate = secs > 0 ? " at \(Reporter.bytes(Int64(Double(bytes - (d?.resumed ?? 0)) / secs)))/s" : ""
                terminal.err(plainStamp() + "downloaded \(d?.name ?? url) (\(Reporter.bytes(bytes))\(rate))\n")
            }
            drawLive()
        case let .uploadStarted(url, _, total):
            downloads[url] = Download(name: "↑ " + (url as NSString).lastPathComponent, start: Date(), bytes: 0, total: total, resumed: 0)
            if !live && !quiet { terminal.err(plainStamp() + "upload \(url), \(Reporter.bytes(total))\n") }
            redraw()
        case let .uploadProgress(url, bytes, total):
            downloads[url]?.bytes = bytes
            downloads[url]?.total = total
            if live { startTimer() }
        case let .uploadFinished(url, bytes):
            let d = downloads.removeValue(forKey: url)
            clearLive()
            if !quiet {
                let secs = d.map { Date().timeIntervalSince($0.start) } ?? 0
                let rate = secs > 0 ? " at \(Reporter.bytes(Int64(Double(bytes) / secs)))/s" : ""
                terminal.err(plainStamp() + "uploaded \((url as NSString).lastPathComponent) (\(Reporter.bytes(bytes))\(rate))\n")
            }
            drawLive()
        case let .nodeStarted(node, index, total, logPath):
            running[node] = Running(index: index, total: total, start: Date(), detail: "")
            runningOrder.append(node)
            clearLive()
            if !quiet {
                terminal.err(plainStamp() + "[\(index)/\(total)] \(terminal.bold(node))" + (verbose ? "  log: \(logPath ?? "-")" : "") + "\n")
            }
            drawLive()
            if live { startTimer() }
        case let .nodeOutput(node, line):
            if verbose {
                clearLive()
                terminal.err("  \(node)| \(line)\n")
                drawLive()
            }
        case let .nodeProgress(node, detail):
            running[node]?.detail = detail
            if !live && !quiet {
                terminal.err(plainStamp() + "  \(node): \(detail)\n")
            }
        case let .nodeFinished(node, outcome, seconds, message):
            running.removeValue(forKey: node)
            runningOrder.removeAll { $0 == node }
            clearLive()
            if !quiet || outcome == "failed" {
                let word: String
                switch outcome {
                case "failed": word = terminal.red("FAILED")
                case "interrupted": word = terminal.yellow("interrupted")
                case "built": word = terminal.green("built")
                case "fetched": word = terminal.green("fetched")
                default: word = outcome
                }
                var s = plainStamp() + "\(word) \(node)"
                if seconds >= 0.05 { s += " in \(Reporter.duration(seconds))" }
                if let message, outcome != "built" {
                    s += ": " + (message.split(separator: "\n").first.map(String.init) ?? message)
                }
                terminal.err(s + "\n")
            }
            drawLive()
        }
    }

    /// Stops the live display (call before printing a final summary).
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        timer?.cancel(); timer = nil
        clearLive()
        running = [:]; runningOrder = []; downloads = [:]
    }

    // MARK: live display

    private func startTimer() {
        guard live, timer == nil else { redraw(); return }
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        t.schedule(deadline: .now() + 0.5, repeating: 0.5)
        t.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock(); self.redraw(); self.lock.unlock()
        }
        timer = t
        t.resume()
    }

    private func redraw() { clearLive(); drawLive() }

    private func clearLive() {
        guard live, liveLines > 0 else { return }
        terminal.err(String(repeating: "\u{1b}[1A\u{1b}[2K", count: liveLines) + "\r")
        liveLines = 0
    }

    private func drawLive() {
        guard live else { return }
        var lines: [String] = []
        let nowT = Date()
        for node in runningOrder {
            guard let r = running[node] else { continue }
            var s = "  [\(r.index)/\(r.total)] \(node)  \(Reporter.clock(nowT.timeIntervalSince(r.start)))"
            if !r.detail.isEmpty { s += "  \(r.detail)" }
            lines.append(String(s.prefix(terminal.width - 1)))
        }
        for (_, d) in downloads.sorted(by: { $0.key < $1.key }) {
            lines.append(Reporter.progressBar(d.name, bytes: d.bytes, total: d.total, resumed: d.resumed,
                                              elapsed: nowT.timeIntervalSince(d.start), width: terminal.width - 1))
        }
        for l in lines { terminal.err(l + "\n") }
        liveLines = lines.count
    }

    private func plainStamp() -> String {
        if live { return "" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "HH:mm:ss"
        return terminal.dim(f.string(from: Date())) + " "
    }

    // MARK: formatting helpers (pure, tested)

    public static func format(_ d: Diagnostic, _ t: Terminal) -> String {
        let label: String
        switch d.severity {
        case .error: label = t.red("error")
        case .warning: label = t.yellow("warning")
        case .note: label = "note"
        }
        var s = "\(label): "
        if let loc = d.location { s += "\(loc): " }
        s += d.message
        if let key = d.location?.key, !d.message.contains(key) { s += " (key '\(key)')" }
        if let hint = d.hint { s += "\n  hint: \(hint)" }
        return s
    }

    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    public static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.1fs", s) }
        let m = Int(s) / 60, sec = Int(s) % 60
        if m < 60 { return "\(m)m\(String(format: "%02d", sec))s" }
        return "\(m / 60)h\(String(format: "%02d", m % 60))m"
    }

    public static func clock(_ s: Double) -> String {
        let t = Int(s)
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    public static func progressBar(_ name: String, bytes: Int64, total: Int64?, resumed: Int64, elapsed: Double, width: Int) -> String {
        let rate = elapsed > 0.2 ? Double(bytes - resumed) / elapsed : 0
        var tail = "  \(Reporter.bytes(bytes))"
        if rate > 0 { tail += "  \(Reporter.bytes(Int64(rate)))/s" }
        guard let total, total > 0 else { return String(("  " + name + tail).prefix(width)) }
        let frac = min(1, Double(bytes) / Double(total))
        if rate > 0 { tail += "  ETA " + clock(Double(total - bytes) / rate) }
        let pct = String(format: "%3d%%", Int(frac * 100))
        let nameCol = String(name.prefix(32)).padding(toLength: min(32, max(name.count, 12)), withPad: " ", startingAt: 0)
        let barWidth = max(10, width - nameCol.count - pct.count - tail.count - 8)
        let filled = Int(Double(barWidth) * frac)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled)
        return "  \(nameCol) [\(bar)] \(pct)\(tail)"
    }
}
