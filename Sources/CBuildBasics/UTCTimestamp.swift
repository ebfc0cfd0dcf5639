import Foundation

/// UTC timestamps formatted with `gmtime_r`, for what every command writes
/// before its first real work (the lock file's line, the run id): creating
/// the first `DateFormatter` of a process loads ICU's calendar data, which
/// cost a no-op build milliseconds.
public enum UTCTimestamp {
    /// `2026-12-02T02:51:23Z` (ISO 8601, whole seconds, what
    /// `ISO8601DateFormatter` with `.withInternetDateTime` gives).
    public static func iso8601(_ date: Date) -> String {
        let t = fields(date)
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2))Z"
    }

    /// `20261202T025123Z`: the same instant without separators (run ids).
    public static func compact(_ date: Date) -> String {
        let t = fields(date)
        return "\(pad(t.tm_year + 1900, 4))\(pad(t.tm_mon + 1, 2))\(pad(t.tm_mday, 2))T\(pad(t.tm_hour, 2))\(pad(t.tm_min, 2))\(pad(t.tm_sec, 2))Z"
    }

    private static func fields(_ date: Date) -> tm {
        // Whole milliseconds first, as ICU (behind Foundation's formatters) does.
        var seconds = time_t(floor((date.timeIntervalSince1970 * 1000).rounded() / 1000))
        var t = tm()
        gmtime_r(&seconds, &t)
        return t
    }

    private static func pad(_ n: Int32, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
