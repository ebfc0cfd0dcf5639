import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running child (catalyst) started in its own process group, with
/// stdout and stderr written to a log file whose new lines are handed to a
/// callback. The group can be signalled as a whole, so an interrupt
/// reaches catalyst's emerge children too. An optional descriptor (the
/// directory lock) is inherited, so if cbuild is killed the child keeps the
/// lock until it exits and cannot race a later cbuild.
public enum ChildProcess {
    public struct Exit: Sendable, Equatable {
        public var status: Int32
        public var signal: Int32?
        public var succeeded: Bool { signal == nil && status == 0 }
    }

    /// Runs `argv` to completion. `onStart` receives the child's pid (= its
    /// process group id) right after spawning; `onLine` each output line.
    public static func run(_ argv: [String], environment: [String: String]? = nil,
                           logPath: String,
                           inheritDescriptor: Int32? = nil,
                           onStart: (pid_t) -> Void = { _ in },
                           onLine: (String) -> Void = { _ in }) throws -> Exit {
        guard let exe = Executables.find(argv[0]) else {
            throw BasicsError.processLaunch(executable: argv[0], reason: "not found in PATH")
        }
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw BasicsError.io(path: logPath, operation: "open", errno: errno) }
        defer { close(logFD) }
        // The child writes straight into the log file (not through a pipe to
        // cbuild), so it never dies of SIGPIPE when cbuild is killed: it runs
        // to its end, holding the inherited directory lock, and no later
        // cbuild can race it. cbuild follows the file like `tail -f`.
        let readFD = open(logPath, O_RDONLY | O_CLOEXEC)
        guard readFD >= 0 else { throw BasicsError.io(path: logPath, operation: "open", errno: errno) }
        defer { close(readFD) }
        _ = lseek(readFD, 0, SEEK_END)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        posix_spawn_file_actions_addclose(&actions, logFD)
        // Close every other descriptor cbuild has open (some it inherited
        // itself), so the child holds nothing but its output and the lock.
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            for e in entries {
                guard let fd = Int32(e), fd > 2, fd != inheritDescriptor, fd != logFD else { continue }
                posix_spawn_file_actions_addclose(&actions, fd)
            }
        }
        if let fd = inheritDescriptor {
            // Clear close-on-exec so the child inherits the lock's open file
            // description (flock locks belong to it).
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) }
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setpgroup(&attr, 0)
        var sigs = sigset_t()
        sigemptyset(&sigs)
        posix_spawnattr_setsigmask(&attr, &sigs)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGTERM); sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc: Int32 = withCStrings(argv) { cargv in
            withCStrings(env) { cenv in
                posix_spawn(&pid, exe, &actions, &attr, cargv, cenv)
            }
        }
        guard rc == 0 else {
            throw BasicsError.processLaunch(executable: argv[0], reason: String(cString: strerror(rc)))
        }
        onStart(pid)

        var pending = [UInt8]()
        let bufSize = 65536
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: bufSize)
        defer { buf.deallocate() }
        func drain() {
            while true {
                let n = read(readFD, buf, bufSize)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                pending.append(contentsOf: UnsafeBufferPointer(start: buf, count: n))
                while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    onLine(String(decoding: pending[..<nl], as: UTF8.self))
                    pending.removeSubrange(...nl)
                }
            }
        }
        var status: Int32 = 0
        while true {
            drain()
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            usleep(50_000)
        }
        drain()
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        let termsig = status & 0x7f
        if termsig == 0 { return Exit(status: (status >> 8) & 0xff, signal: nil) }
        return Exit(status: 128 + termsig, signal: termsig)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        ptrs.append(nil)
        defer { for p in ptrs { free(p) } }
        return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The process groups of running children, so an interrupt can be passed
/// to each whole group.
public final class ProcessGroupRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var groups = Set<pid_t>()
    private var cancelled = false
    public init() {}

    /// Registers a group; when an interrupt already happened it is signalled at once.
    public func add(_ pgid: pid_t) {
        lock.lock(); groups.insert(pgid); let c = cancelled; lock.unlock()
        if c { kill(-pgid, SIGTERM) }
    }
    public func remove(_ pgid: pid_t) { lock.lock(); groups.remove(pgid); lock.unlock() }

    /// Sends `signal` to every registered group and remembers the interrupt.
    public func interruptAll(_ signal: Int32 = SIGTERM) {
        lock.lock(); cancelled = true; let g = groups; lock.unlock()
        for pgid in g { kill(-pgid, signal) }
    }
    public var isInterrupted: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}

extension ChildProcess {
    /// Runs on a dedicated thread so a child that takes hours never blocks
    /// Swift's cooperative thread pool (which has one thread per core).
    public static func runDetached(_ argv: [String], environment: [String: String]? = nil, logPath: String,
                                   inheritDescriptor: Int32? = nil, registry: ProcessGroupRegistry?,
                                   onLine: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Exit {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Exit, Error>) in
            let thread = Thread {
                var pgid: pid_t = 0
                do {
                    let exit = try run(argv, environment: environment, logPath: logPath, inheritDescriptor: inheritDescriptor,
                                       onStart: { pid in pgid = pid; registry?.add(pid) }, onLine: onLine)
                    if pgid != 0 { registry?.remove(pgid) }
                    cont.resume(returning: exit)
                } catch {
                    if pgid != 0 { registry?.remove(pgid) }
                    cont.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}
