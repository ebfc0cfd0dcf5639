import CBuildBasics
import Foundation

/// Small helpers shared by the benchmarks: a monotonic clock, best-of-N
/// timing, option parsing, scratch directories and aligned tables.
enum Bench {
    /// A bad option or a failed check; printed and exit 1.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// CPU seconds used so far by this process and its reaped children.
    static func cpuSeconds() -> Double {
        func seconds(_ who: Int32) -> Double {
            var u = rusage()
            getrusage(who, &u)
            let t = [u.ru_utime, u.ru_stime]
            return t.reduce(0) { $0 + Double($1.tv_sec) + Double($1.tv_usec) / 1e6 }
        }
        #if os(Linux)
        return seconds(Int32(RUSAGE_SELF.rawValue)) + seconds(Int32(RUSAGE_CHILDREN.rawValue))
        #else
        return seconds(RUSAGE_SELF) + seconds(RUSAGE_CHILDREN)
        #endif
    }

    /// One timed run: wall seconds, and how many cores were busy on average
    /// (CPU seconds of this process and its children over wall seconds).
    struct Timing<T> {
        var seconds: Double
        var coresBusy: Double
        var result: T
    }

    /// Times one run of `body`.
    static func measure<T>(_ body: () throws -> T) rethrows -> Timing<T> {
        let cpu0 = cpuSeconds(), start = now()
        let result = try body()
        let wall = now() - start, cpu = cpuSeconds() - cpu0
        return Timing(seconds: wall, coresBusy: cpu / wall, result: result)
    }

    /// The faster of a kept timing and a new one.
    static func faster<T>(_ kept: Timing<T>?, _ new: Timing<T>) -> Timing<T> {
        guard let kept, kept.seconds <= new.seconds else { return new }
        return kept
    }

    /// Runs `body` `repeats` times and keeps the run with the shortest wall time.
    static func best<T>(of repeats: Int, _ body: () throws -> T) rethrows -> Timing<T> {
        var best: Timing<T>?
        for _ in 0..<max(1, repeats) { best = faster(best, try measure(body)) }
        return best!
    }

    /// `--name VALUE` options as integers, with defaults; anything else is an error.
    static func integerOptions(_ arguments: [String], defaults: [String: Int]) throws -> [String: Int] {
        var values = defaults
        var i = 0
        while i < arguments.count {
            let key = arguments[i]
            guard key.hasPrefix("--"), defaults[String(key.dropFirst(2))] != nil else {
                throw UsageError(description: "unknown option '\(key)' (known: \(defaults.keys.sorted().map { "--" + $0 }.joined(separator: ", ")))")
            }
            guard i + 1 < arguments.count, let value = Int(arguments[i + 1]), value > 0 else {
                throw UsageError(description: "\(key) needs a positive number")
            }
            values[String(key.dropFirst(2))] = value
            i += 2
        }
        return values
    }

    static func scratchDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/cbuild-bench.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else {
            throw BasicsError.io(path: base, operation: "mkdtemp", errno: errno)
        }
        return String(cString: p)
    }

    /// Prints rows as a plain table: the first column and those in
    /// `leftAligned` left-aligned, the rest (numbers) right-aligned.
    static func printTable(_ header: [String], _ rows: [[String]], leftAligned: Set<Int> = []) {
        let all = [header] + rows
        let widths = (0..<header.count).map { c in all.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        for (n, row) in all.enumerated() {
            var line = ""
            for (c, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                line += c == 0 ? cell + pad : leftAligned.contains(c) ? "  " + cell + pad : "  " + pad + cell
            }
            while line.hasSuffix(" ") { line.removeLast() }
            print(line)
            if n == 0 { print(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        }
    }

    static func format(_ value: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", value) }
}
