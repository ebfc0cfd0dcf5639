import CReadTrace
import Foundation

/// The no-op record (docs/performance.md): a command that found nothing to
/// do saves what it read — every path it looked at with what stat(2) said
/// of it, the state database's files, its output and exit status — keyed by
/// everything else it depended on (arguments, environment, working
/// directory, user, host, terminal, the executable). The next identical
/// invocation stats those paths again; when every one is as recorded it
/// prints the recorded output instead of loading the configuration and
/// checking every node, which is what makes a no-op as cheap as ninja's.
///
/// The paths are gathered by the process watching its own file-system calls
/// (CReadTrace defines libc's stat, open, opendir, … and passes them on), so
/// no reader can forget to report one. A run that wrote a file, started a
/// process, connected to a socket, or read something that changed while or
/// just before it read it (the racy-git margin) saves nothing.
///
/// The records are a cache: deleting `.cache/noop` costs one full check.
/// `CBUILD_FULL_CHECK=1` skips them (neither used nor saved).
public enum NoOpRecord {
    /// Where under the cache directory the records live.
    public static let directoryName = "noop"

    /// Whether records are skipped for this process (`CBUILD_FULL_CHECK`).
    public static var disabled: Bool {
        guard let value = getenv("CBUILD_FULL_CHECK") else { return false }
        let text = String(cString: value)
        return !text.isEmpty && text != "0"
    }

    /// Starts watching this process's reads (first thing a command does).
    public static func startWatching() { cbuild_trace_start() }

    /// Whether this process is being watched (false again once the run did something no record can repeat).
    public static var isWatching: Bool { cbuild_trace_active() != 0 }

    /// Paths whose reads and writes do not matter to a command's result (its
    /// own bookkeeping). `prefix`: every path below or starting with it;
    /// otherwise only stat-like looks at exactly `path`.
    public static func exclude(_ path: String, prefix: Bool) { cbuild_trace_exclude(path, prefix ? 1 : 0) }

    /// The bookkeeping paths of a cache directory: the lock, the records,
    /// and the directory's own times (which the database's WAL changes).
    public static func excludeBookkeeping(cacheDirectory: String) {
        exclude(cacheDirectory, prefix: false)
        exclude(cacheDirectory + "/lock", prefix: true)
        exclude(cacheDirectory + "/" + directoryName + "/", prefix: true)
    }

    /// The state database at `path` is about to be opened.
    public static func noteStateDatabase(_ path: String) { cbuild_trace_note_database(path) }

    /// This run cannot be repeated from its reads alone (`why` is shown by `CBUILD_EXPLAIN_NOOP`).
    public static func taint(_ why: String) { cbuild_trace_taint(why) }

    /// Output the command wrote, replayed with the record.
    public static func captureOutput(fd: Int32, _ text: String) {
        guard isWatching else { return }
        var text = text
        text.withUTF8 { cbuild_trace_output(fd, $0.baseAddress, $0.count) }
    }

    /// A C string buffer's text, up to its terminating zero.
    fileprivate static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// How many paths the run looked at so far.
    public static var observationCount: Int { Int(cbuild_trace_observation_count()) }

    /// Saves this run's record under `directory`; nil when saved, else why not.
    public static func save(directory: String, meta: String, exitStatus: Int32) -> String? {
        var why = [CChar](repeating: 0, count: 1024)
        let bytes = Array(meta.utf8)
        let saved = cbuild_noop_save(directory, bytes, bytes.count, exitStatus, &why, why.count)
        return saved == 1 ? nil : NoOpRecord.text(why)
    }

    /// The record of this very invocation under `directory`, if there is one.
    public static func find(directory: String) -> Found? {
        cbuild_noop_find(directory).map(Found.init)
    }

    /// A record of this invocation, read and not yet checked.
    public final class Found {
        private let record: OpaquePointer

        fileprivate init(_ record: OpaquePointer) { self.record = record }
        deinit { cbuild_noop_free(record) }

        /// What the saving command stored with it.
        public var meta: String {
            var length = 0
            guard let bytes = cbuild_noop_meta(record, &length) else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
        }

        /// Stats every recorded path again: nil when all are as recorded, else the first difference.
        public func check() -> String? {
            var why = [CChar](repeating: 0, count: 1024)
            return cbuild_noop_validate(record, &why, why.count) == 1 ? nil : NoOpRecord.text(why)
        }

        /// Writes the recorded output; returns the recorded exit status.
        public func replay() -> Int32 { cbuild_noop_replay(record) }
    }

    /// One recorded look: the path, whether symlinks were followed, and the errno it met (0: it exists).
    public struct Observation: Sendable, Hashable {
        public var path: String
        public var followsSymlinks: Bool
        public var error: Int32
    }

    /// The looks a record file holds (for tests and `CBUILD_EXPLAIN_NOOP`); nil when it is not a record.
    public static func observations(inRecord file: String) -> [Observation]? {
        final class Box { var items: [Observation] = [] }
        let box = Box()
        let count = withExtendedLifetime(box) {
            cbuild_noop_list(file, { path, kind, error, context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
                box.items.append(Observation(path: String(cString: path!), followsSymlinks: kind == 1 || kind == 2 || kind == 4, error: error))
            }, Unmanaged.passUnretained(box).toOpaque())
        }
        return count < 0 ? nil : box.items
    }
}
