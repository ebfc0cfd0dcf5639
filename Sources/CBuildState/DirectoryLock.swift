import CBuildBasics
import Foundation

/// The build directory's lock, `.cache/lock`, so two cbuilds never mutate
/// one directory at once while read-only commands may run beside a build.
///
/// Lock file format (owned here): empty while no writer holds it; while a
/// writer holds it, one line `PID COMMAND ISO-8601-TIME`, e.g.
/// `4242 cbuild fleet/prod 2026-11-26T16:45:33Z` (COMMAND may contain spaces:
/// the first word is the pid, the last the time). The lock itself is an
/// flock(2) on the file: exclusive for mutating commands, shared for
/// read-only ones. An flock belongs to the open file description, so a
/// child given `inheritableDescriptor` keeps the lock after cbuild is
/// killed, until the child exits (SPEC 3: a catalyst run orphaned by
/// `kill -9` must not race a later build).
///
/// - Exclusive: fails at once with `StateError.locked` when a writer holds
///   the lock; when only readers hold it (the file is empty), retries for up
///   to `readerWait` seconds, then fails with `StateError.lockedByReaders`.
/// - Shared: never fails because of a writer. It returns an object in the
///   "unlocked read" state (`isHeld == false`) with `writerHolding` set, so
///   the command can say "a build is running (pid N)" and read the WAL
///   database anyway.
public final class DirectoryLock: @unchecked Sendable {
    /// Exclusive for commands that change the directory, shared for read-only ones.
    public enum Mode: String, Sendable { case exclusive, shared }

    /// The writer named in the lock file.
    public struct Holder: Sendable, Equatable {
        public var pid: Int32
        public var command: String
        public var since: Date?
        /// False when the pid no longer exists but the lock is still held:
        /// a child that inherited the lock keeps it.
        public var processAlive: Bool

        public init(pid: Int32, command: String, since: Date?, processAlive: Bool) {
            self.pid = pid; self.command = command; self.since = since; self.processAlive = processAlive
        }
    }

    public static let fileName = "lock"

    public let mode: Mode
    /// `<cacheDirectory>/lock`.
    public let path: String
    /// The writer holding the lock when a shared acquire found one; nil otherwise.
    public let writerHolding: Holder?

    private let stateLock = NSLock()
    private var fd: Int32

    /// True while this object holds the flock; false in the "unlocked read"
    /// state and after `release()`.
    public var isHeld: Bool {
        stateLock.lock(); defer { stateLock.unlock() }
        return fd >= 0
    }

    private init(mode: Mode, path: String, fd: Int32, writerHolding: Holder?) {
        self.mode = mode; self.path = path; self.fd = fd; self.writerHolding = writerHolding
    }

    deinit { release() }

    /// Takes the lock on `<cacheDirectory>/lock`, creating the directory and
    /// the file if missing. `command` is recorded for others to read
    /// ("cbuild fleet/prod"). See the type's documentation for the rules.
    public static func acquire(cacheDirectory: String, mode: Mode, command: String,
                               readerWait: Double = 2.0) throws -> DirectoryLock {
        // The lock file and the directory's times are bookkeeping, not what a command read.
        NoOpRecord.excludeBookkeeping(cacheDirectory: cacheDirectory)
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw StateError.cacheUnusable(path: cacheDirectory, operation: "create directory", errno: posixCode(error))
        }
        let path = cacheDirectory + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StateError.cacheUnusable(path: path, operation: "open", errno: errno) }
        do {
            switch mode {
            case .exclusive: return try acquireExclusive(fd: fd, path: path, command: command, readerWait: readerWait)
            case .shared: return try acquireShared(fd: fd, path: path)
            }
        } catch {
            close(fd)
            throw error
        }
    }

    private static func acquireExclusive(fd: Int32, path: String, command: String, readerWait: Double) throws -> DirectoryLock {
        let start = monotonicSeconds()
        // A pid that is gone while the lock is held may also be stale text a
        // reader has not yet cleared; look again briefly before blaming a child.
        let deadPidWait = min(readerWait, 0.3)
        var firstDeadHolder: Double?
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                let line = "\(getpid()) \(command) \(formatTime(Date()))\n"
                guard ftruncate(fd, 0) == 0, pwriteAll(fd, Array(line.utf8)) else {
                    let code = errno
                    _ = flock(fd, LOCK_UN)
                    throw StateError.cacheUnusable(path: path, operation: "write", errno: code)
                }
                return DirectoryLock(mode: .exclusive, path: path, fd: fd, writerHolding: nil)
            }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                throw StateError.cacheUnusable(path: path, operation: "flock", errno: code)
            }
            let waited = monotonicSeconds() - start
            if let holder = readHolder(fd: fd) {
                if holder.processAlive {
                    throw StateError.locked(pid: holder.pid, command: holder.command, since: holder.since, childStillRunning: false)
                }
                let firstSeen = firstDeadHolder ?? waited
                firstDeadHolder = firstSeen
                if waited - firstSeen >= deadPidWait {
                    throw StateError.locked(pid: holder.pid, command: holder.command, since: holder.since, childStillRunning: true)
                }
            } else {
                firstDeadHolder = nil
                // Empty file: readers hold it (or a writer is between flock and write).
                if waited >= readerWait { throw StateError.lockedByReaders(waitedSeconds: waited) }
            }
            usleep(20_000)
        }
    }

    private static func acquireShared(fd: Int32, path: String) throws -> DirectoryLock {
        let start = monotonicSeconds()
        while true {
            if flock(fd, LOCK_SH | LOCK_NB) == 0 {
                // No writer can hold it now: any text left is from a writer
                // that was killed; clear it so writers do not blame that pid.
                var st = stat()
                if fstat(fd, &st) == 0, st.st_size > 0 { _ = ftruncate(fd, 0) }
                return DirectoryLock(mode: .shared, path: path, fd: fd, writerHolding: nil)
            }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                throw StateError.cacheUnusable(path: path, operation: "flock", errno: code)
            }
            if let holder = readHolder(fd: fd) {
                close(fd)
                return DirectoryLock(mode: .shared, path: path, fd: -1, writerHolding: holder)
            }
            // A writer between flock and writing its line, or releasing: look again.
            if monotonicSeconds() - start >= 2.0 {
                close(fd)
                let unknown = Holder(pid: 0, command: "(unknown)", since: nil, processAlive: false)
                return DirectoryLock(mode: .shared, path: path, fd: -1, writerHolding: unknown)
            }
            usleep(10_000)
        }
    }

    /// Clears the close-on-exec flag of the lock's descriptor and returns it,
    /// so a spawned child (catalyst) inherits the lock and keeps it until it
    /// exits, even if cbuild is killed. -1 when the lock is not held.
    public var inheritableDescriptor: Int32 {
        stateLock.lock(); defer { stateLock.unlock() }
        guard fd >= 0 else { return -1 }
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) }
        return fd
    }

    /// Gives up the lock: a writer first empties the lock file. The lock
    /// ends when the last descriptor sharing it closes, so a child that
    /// inherited it still holds it. Safe to call more than once.
    public func release() {
        stateLock.lock(); defer { stateLock.unlock() }
        guard fd >= 0 else { return }
        if mode == .exclusive { _ = ftruncate(fd, 0) }
        // Unlock explicitly: closing alone leaves the flock held while any
        // other copy of this open file description exists — a child that
        // another thread is forking at this moment has one until it execs.
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// Closes the descriptor without emptying the lock file, as the kernel
    /// does when the process dies. For tests of the crash rule only.
    func abandonForTesting() {
        stateLock.lock(); defer { stateLock.unlock() }
        if fd >= 0 { close(fd); fd = -1 }
    }

    // MARK: - Lock file text

    /// Reads and parses the writer's line; nil when the file is empty or unparsable.
    static func readHolder(fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return parse(String(decoding: buffer[..<n], as: UTF8.self))
    }

    /// Parses `PID COMMAND TIME`; liveness is checked now.
    static func parse(_ text: String) -> Holder? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let first = words.first, let pid = Int32(first), pid > 0 else { return nil }
        var rest = words.dropFirst()
        var since: Date?
        if let last = rest.last, let date = parseTime(String(last)) {
            since = date
            rest = rest.dropLast()
        }
        return Holder(pid: pid, command: rest.joined(separator: " "), since: since, processAlive: isAlive(pid))
    }

    /// Whether a process exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        #if os(Linux)
        // /proc/PID/stat: "pid (comm) S ..." — the state follows the last ')'.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
            if state == "Z" || state == "X" { return false }
        }
        #endif
        return true
    }

    static func formatTime(_ date: Date) -> String { UTCTimestamp.iso8601(date) }

    static func parseTime(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }

    private static func pwriteAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private static func posixCode(_ error: Error) -> Int32 {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        return ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : EACCES
    }
}
