import Foundation

/// Catalyst's console logger (catalyst/log.py): every line is
/// `<date>: <LEVEL padded to 8>: <text>`, the date as `%d %b %Y %H:%M:%S <TZ>`
/// in local time; multi-line messages become one record per line; the
/// default level is NOTICE, so INFO and DEBUG lines are not shown.
/// Lines are written straight to the file descriptor (no buffering), so a
/// reader sees them as they happen and a signal never loses output.
final class CatalystLog: @unchecked Sendable {
    /// Levels as Python's logging numbers them; NOTICE is catalyst's own.
    enum Level: Int, Comparable, Sendable {
        case debug = 10, info = 20, notice = 25, warning = 30, error = 40, critical = 50

        var name: String {
            switch self {
            case .debug: return "DEBUG"
            case .info: return "INFO"
            case .notice: return "NOTICE"
            case .warning: return "WARNING"
            case .error: return "ERROR"
            case .critical: return "CRITICAL"
            }
        }

        init?(option: String) {
            switch option {
            case "critical": self = .critical
            case "error": self = .error
            case "warning": self = .warning
            case "notice": self = .notice
            case "info": self = .info
            case "debug": self = .debug
            default: return nil
            }
        }

        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    private var fd: Int32 = 1
    var threshold: Level = .notice

    init() {}

    /// Sends log records to a file instead of stdout (`--log-file`).
    func redirect(toFile path: String) {
        let f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if f >= 0 { fd = f }
    }

    func debug(_ text: String) { log(.debug, text) }
    func info(_ text: String) { log(.info, text) }
    func notice(_ text: String) { log(.notice, text) }
    func warning(_ text: String) { log(.warning, text) }
    func error(_ text: String) { log(.error, text) }
    func critical(_ text: String) { log(.critical, text) }

    /// One record per line of `text`, each with the timestamp prefix.
    func log(_ level: Level, _ text: String) {
        guard level >= threshold else { return }
        let prefix = CatalystLog.timestamp() + ": " + level.name.padding(toLength: max(8, level.name.count), withPad: " ", startingAt: 0) + ": "
        var out = ""
        for line in SpecParser.lines(of: text) { out += prefix + line + "\n" }
        if text.isEmpty { out = prefix + "\n" }
        write(out, to: fd)
    }

    /// A record followed by a (simulated) Python traceback, the way
    /// `log.error(..., exc_info=True)` prints one: only the first line has
    /// the timestamp prefix.
    func logWithTraceback(_ level: Level, _ text: String, exception: String) {
        guard level >= threshold else { return }
        log(level, text)
        write(CatalystLog.traceback(exception), to: fd)
    }

    /// Output that does not go through catalyst's logger (emerge's lines,
    /// `print()` calls): written verbatim to stdout.
    func raw(_ line: String) { write(line + "\n", to: 1) }

    /// Python's traceback for an exception nobody caught, on stderr.
    func uncaught(_ exception: String) { write(CatalystLog.traceback(exception), to: 2) }

    static func traceback(_ exception: String) -> String {
        "Traceback (most recent call last):\n  File \"catalyst-sim\", line 0, in <simulated traceback>\n\(exception)\n"
    }

    /// `05 Oct 2013 18:58:50 EST` — the date format catalyst's logger uses.
    static func timestamp(_ date: time_t = time(nil)) -> String {
        var t = date
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [Int8](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%d %b %Y %H:%M:%S %Z", &tmv)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes everything, retrying on EINTR and short writes.
    static func writeAll(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                Foundation.write(fd, buf.baseAddress! + offset, bytes.count - offset)
            }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    private func write(_ text: String, to fd: Int32) { CatalystLog.writeAll(text, to: fd) }
}
