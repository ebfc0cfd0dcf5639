import CBuildBasics
import Foundation

/// Errors of the state layer a user can run into: another cbuild holds the
/// build directory's lock (exit 4), or `.cache/` cannot be used (exit 2).
public enum StateError: UserError, Equatable {
    /// A writer holds `.cache/lock`. `pid` and `command` come from the lock
    /// file; `childStillRunning` is true when that pid is gone but the lock
    /// is still held — cbuild was killed and its catalyst child, which
    /// inherited the lock, is still running.
    case locked(pid: Int32, command: String, since: Date?, childStillRunning: Bool)
    /// Read-only commands kept a shared lock for longer than a writer waits.
    case lockedByReaders(waitedSeconds: Double)
    /// The cache directory or its lock file cannot be created or opened.
    case cacheUnusable(path: String, operation: String, errno: Int32)

    public var exitStatus: ExitStatus {
        switch self {
        case .locked, .lockedByReaders: return .locked
        case .cacheUnusable: return .usage
        }
    }

    public var message: String {
        switch self {
        case let .locked(pid, command, since, childStillRunning):
            let when = since.map { " since \(DirectoryLock.formatTime($0))" } ?? ""
            if childStillRunning {
                return "the build directory is locked: held by a child of pid \(pid) (cbuild was killed; its catalyst run is still going), started by '\(command)'\(when)"
            }
            return "the build directory is locked by another cbuild: pid \(pid) running '\(command)'\(when)"
        case let .lockedByReaders(waited):
            return "the build directory is in use by read-only cbuild commands (waited \(String(format: "%.1f", waited)) s for them)"
        case let .cacheUnusable(path, operation, code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        }
    }

    public var hint: String? {
        switch self {
        case let .locked(pid, _, _, childStillRunning):
            if childStillRunning {
                return "wait for that catalyst run to end (`fuser -v .cache/lock` shows it), or stop it; pid \(pid) no longer exists"
            }
            return "wait for pid \(pid) to finish; read-only commands (status, explain, log) work meanwhile"
        case .lockedByReaders:
            return "retry when the other commands have finished"
        case .cacheUnusable:
            return "check that the build directory is writable"
        }
    }
}
