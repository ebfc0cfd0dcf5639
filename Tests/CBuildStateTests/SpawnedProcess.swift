import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn in its own process group, for
/// lock tests that need a second, real process. Only the descriptors in
/// `keep` (renumbered from 3) and stdio reach the child, so locks held by parallel tests never
/// leak into it. Kills its whole group when stopped.
final class SpawnedProcess: @unchecked Sendable {
    let pid: pid_t
    private var reaped = false

    init(_ argv: [String], keep: [Int32] = []) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        // Kept descriptors become 3, 4, …; every other descriptor closes.
        for (i, fd) in keep.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + i)) }
        Self.closeFrom(Int32(3 + keep.count), &actions)

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, &attributes, cArgs, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        pid = child
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's posix_spawn_file_actions_addclosefrom_np (not in Swift's
    /// Glibc module); without it, closes each descriptor open right now.
    private static func closeFrom(_ first: Int32, _ actions: inout posix_spawn_file_actions_t) {
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, first)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd >= first {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// Sends `signal` to the child's whole process group.
    func signalGroup(_ signal: Int32 = SIGKILL) { _ = kill(-pid, signal) }

    /// Waits for the child itself to exit; returns the raw wait status.
    @discardableResult
    func wait() -> Int32 {
        guard !reaped else { return 0 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        return status
    }

    /// Kills the group and reaps the child.
    func stop() {
        signalGroup(SIGKILL)
        wait()
    }

    deinit { if !reaped { stop() } }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
