import CBuildBasics
import Foundation

/// Fetches one URL into a local file: `file://` by copying, `http(s)://` by
/// streaming through `HTTPTransfer`. With `resume`, an existing partial file
/// is continued (HTTP `Range`, or a seek for local copies); otherwise it is
/// replaced. Progress goes to the event sink; nothing is printed.
public struct Downloader: Sendable {
    public let events: EventSink
    /// Seconds without any byte before a transfer is given up.
    public let idleTimeout: TimeInterval

    public init(events: EventSink, idleTimeout: TimeInterval = 60) {
        self.events = events
        self.idleTimeout = idleTimeout
    }

    /// Downloads `url` to `destination`; returns the file's size.
    /// Throws `DownloadFailure` for anything the mirror is to blame for.
    @discardableResult
    public func download(_ url: URL, to destination: String, resume: Bool) throws -> Int64 {
        if url.isFileURL { return try copyLocal(url, to: destination, resume: resume) }
        let existing = resume ? (Self.size(of: destination) ?? 0) : 0
        if !resume { unlink(destination) }
        do {
            return try HTTPTransfer(url: url, destination: destination, resumeFrom: existing,
                                    events: events, idleTimeout: idleTimeout).run()
        } catch DownloadFailure.rangeRejected {
            // The partial file cannot be continued: start it again from zero.
            unlink(destination)
            return try HTTPTransfer(url: url, destination: destination, resumeFrom: 0,
                                    events: events, idleTimeout: idleTimeout).run()
        }
    }

    private func copyLocal(_ url: URL, to destination: String, resume: Bool) throws -> Int64 {
        let source = url.path
        let sourceFD = open(source, O_RDONLY | O_CLOEXEC)
        if sourceFD < 0 {
            // Whether the mirror itself is there is the caller's question (`MirrorWalk`).
            if errno == ENOENT || errno == ENOTDIR { throw DownloadFailure.notFound }
            throw DownloadFailure.unreachable("\(source): \(String(cString: strerror(errno)))")
        }
        defer { close(sourceFD) }
        var st = stat()
        guard fstat(sourceFD, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw DownloadFailure.notFound }
        let total = Int64(st.st_size)
        var start = resume ? (Self.size(of: destination) ?? 0) : 0
        if start > total { start = 0 }
        let destFD = open(destination, O_WRONLY | O_CREAT | O_CLOEXEC | (start == 0 ? O_TRUNC : 0), 0o644)
        guard destFD >= 0 else {
            throw DownloadFailure.localIO("\(destination): cannot open for writing: \(String(cString: strerror(errno)))")
        }
        defer { close(destFD) }
        guard ftruncate(destFD, off_t(start)) == 0, lseek(destFD, off_t(start), SEEK_SET) == off_t(start),
              lseek(sourceFD, off_t(start), SEEK_SET) == off_t(start) else {
            throw DownloadFailure.localIO("\(destination): cannot seek: \(String(cString: strerror(errno)))")
        }
        events.emit(.downloadStarted(url: url.absoluteString, destination: destination, totalBytes: total, resumedFrom: start))
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var copied = start
        var lastReport = start
        while true {
            let n = read(sourceFD, buffer, bufferSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw DownloadFailure.interrupted("\(source): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = write(destFD, buffer + written, n - written)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw DownloadFailure.localIO("\(destination): write failed: \(String(cString: strerror(errno)))")
                }
                written += w
            }
            copied += Int64(n)
            if copied - lastReport >= 4 << 20 {
                lastReport = copied
                events.emit(.downloadProgress(url: url.absoluteString, bytes: copied, totalBytes: total))
            }
        }
        events.emit(.downloadFinished(url: url.absoluteString, bytes: copied))
        return copied
    }

    static func size(of path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }
}
