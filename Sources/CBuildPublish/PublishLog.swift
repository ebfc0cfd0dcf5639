import Foundation

/// Appends timestamped lines to a node's log file (`.cache/logs/NODE/RUN.log`).
/// Only ids, counts and URLs without their query go in; never a credential.
public final class PublishLog: @unchecked Sendable {
    private let handle: FileHandle?
    private let lock = NSLock()

    public init(path: String?) {
        if let path {
            FileManager.default.createFile(atPath: path, contents: nil)
            handle = FileHandle(forWritingAtPath: path)
            handle?.seekToEndOfFile()
        } else { handle = nil }
    }

    deinit { try? handle?.close() }

    public func line(_ text: String) {
        let f = ISO8601DateFormatter()
        let data = Data("\(f.string(from: Date())) \(text)\n".utf8)
        lock.lock(); defer { lock.unlock() }
        handle?.write(data)
    }
}
