import CBuildBasics
import Foundation

/// Using and saving no-op records for a build directory (see `NoOpRecord`):
/// a record is used under the same lock its command took, so a replayed
/// no-op build still waits for no one and refuses to run beside another
/// build, and a replayed `status` is never shown while a build is running.
public enum NoOpShortcut {
    /// What a command stores with its record: its lock mode and name.
    struct Meta: Equatable {
        var mode: DirectoryLock.Mode
        var command: String

        var text: String { "\(mode.rawValue)\n\(command)" }

        init(mode: DirectoryLock.Mode, command: String) { self.mode = mode; self.command = command }

        init?(_ text: String) {
            let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let mode = DirectoryLock.Mode(rawValue: String(parts[0])) else { return nil }
            self.mode = mode; self.command = String(parts[1])
        }
    }

    /// What happened to a record, for `CBUILD_EXPLAIN_NOOP`.
    public enum Outcome: Sendable, Equatable {
        case replayed(exitStatus: Int32)
        /// No record of this invocation (arguments, environment, directory, terminal or executable differ).
        case none
        /// A record whose check failed: why (the first path that differs, or the lock).
        case stale(String)
    }

    /// Replays this invocation's record under `cacheDirectory` when every
    /// path it read is as recorded; otherwise the command runs in full.
    public static func replay(cacheDirectory: String) -> Outcome {
        guard !NoOpRecord.disabled,
              let found = NoOpRecord.find(directory: cacheDirectory + "/" + NoOpRecord.directoryName) else { return .none }
        guard let meta = Meta(found.meta) else { return .stale("the record names no lock") }
        let lock: DirectoryLock
        do {
            lock = try DirectoryLock.acquire(cacheDirectory: cacheDirectory, mode: meta.mode, command: meta.command)
        } catch {
            return .stale("the lock is taken: \(error)")
        }
        defer { lock.release() }
        if let holder = lock.writerHolding {
            return .stale("a build is running (pid \(holder.pid))")
        }
        if let difference = found.check() { return .stale(difference) }
        return .replayed(exitStatus: found.replay())
    }

    /// What a command does first: replay this invocation's record, or (when
    /// records are on) start watching the full run that follows.
    public static func begin(cacheDirectory: String?) -> Outcome {
        guard !NoOpRecord.disabled, let cacheDirectory else { return .none }
        let outcome = replay(cacheDirectory: cacheDirectory)
        if case .replayed = outcome { return outcome }
        NoOpRecord.startWatching()
        return outcome
    }

    /// A command that found nothing to do offers its run for a record.
    /// The record is saved when the command has returned (`saveOffered`).
    public static func offer(cacheDirectory: String, mode: DirectoryLock.Mode, command: String) {
        offered.set((cacheDirectory, Meta(mode: mode, command: command)))
    }

    /// Saves the offered run's record with the command's exit status; nil
    /// when saved, else why not (nothing offered, or what the run did).
    @discardableResult
    public static func saveOffered(exitStatus: Int32) -> String? {
        guard let (cacheDirectory, meta) = offered.take() else { return "the command offers no record" }
        guard !NoOpRecord.disabled else { return "CBUILD_FULL_CHECK is set" }
        return NoOpRecord.save(directory: cacheDirectory + "/" + NoOpRecord.directoryName, meta: meta.text, exitStatus: exitStatus)
    }

    private static let offered = OfferBox()

    private final class OfferBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (String, Meta)?
        func set(_ v: (String, Meta)) { lock.lock(); value = v; lock.unlock() }
        func take() -> (String, Meta)? { lock.lock(); defer { value = nil; lock.unlock() }; return value }
    }
}
