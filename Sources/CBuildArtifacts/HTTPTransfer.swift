import CBuildBasics
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP(S) GET streamed straight into a file through URLSession: bytes
/// are written as they arrive (never a whole file in memory), a partial file
/// is continued with `Range`, and the answer is checked (206 with a matching
/// `Content-Range`, or a 200 that restarts the file from zero).
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let url: URL
    private let destination: String
    private let events: EventSink
    private let requestedOffset: Int64
    private let idleTimeout: TimeInterval

    // Touched only on the session's serial delegate queue, then read by the
    // caller after `done` is signalled.
    private var fd: Int32 = -1
    private var offset: Int64 = 0
    private var received: Int64 = 0
    private var total: Int64?
    private var responded = false
    private var failure: DownloadFailure?
    private var completeAlready = false
    private var lastReportBytes: Int64 = 0
    private var lastReportTime = Date.distantPast
    private let done = DispatchSemaphore(value: 0)

    init(url: URL, destination: String, resumeFrom offset: Int64, events: EventSink, idleTimeout: TimeInterval) {
        self.url = url
        self.destination = destination
        self.requestedOffset = offset
        self.events = events
        self.idleTimeout = idleTimeout
    }

    /// Runs the transfer to its end; returns the file's size.
    func run() throws -> Int64 {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = idleTimeout
        config.timeoutIntervalForResource = 7 * 24 * 3600
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
        var request = URLRequest(url: url)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("cbuild", forHTTPHeaderField: "User-Agent")
        if requestedOffset > 0 { request.setValue("bytes=\(requestedOffset)-", forHTTPHeaderField: "Range") }
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()
        if fd >= 0 { close(fd); fd = -1 }
        if let failure { throw failure }
        if completeAlready {
            events.emit(.downloadFinished(url: url.absoluteString, bytes: requestedOffset))
            return requestedOffset
        }
        let size = offset + received
        events.emit(.downloadFinished(url: url.absoluteString, bytes: size))
        return size
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        responded = true
        guard let http = response as? HTTPURLResponse else {
            failure = .httpStatus(0)
            completionHandler(.cancel)
            return
        }
        let contentRange = http.value(forHTTPHeaderField: "Content-Range")
        switch http.statusCode {
        case 200:
            offset = 0
            total = http.expectedContentLength >= 0 ? http.expectedContentLength : nil
            guard openDestination(truncate: true) else { completionHandler(.cancel); return }
        case 206 where requestedOffset > 0:
            guard let range = contentRange.flatMap(Self.parseContentRange), range.start == requestedOffset else {
                failure = .rangeRejected("Content-Range '\(contentRange ?? "")' does not continue at byte \(requestedOffset)")
                completionHandler(.cancel)
                return
            }
            offset = requestedOffset
            total = range.total
            guard openDestination(truncate: false) else { completionHandler(.cancel); return }
        case 416 where requestedOffset > 0:
            // The partial file may already be complete (a crash after the last byte).
            if let text = contentRange, let t = Self.parseUnsatisfiedRange(text), t == requestedOffset {
                completeAlready = true
            } else {
                failure = .rangeRejected("HTTP 416")
            }
            completionHandler(.cancel)
            return
        case 404, 410:
            failure = .notFound
            completionHandler(.cancel)
            return
        default:
            failure = .httpStatus(http.statusCode)
            completionHandler(.cancel)
            return
        }
        events.emit(.downloadStarted(url: url.absoluteString, destination: destination,
                                     totalBytes: total, resumedFrom: offset))
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, fd >= 0 else { return }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var start = 0
            while start < raw.count {
                let n = write(fd, raw.baseAddress! + start, raw.count - start)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                start += n
            }
            return true
        }
        guard ok else {
            failure = .localIO("\(destination): write failed: \(String(cString: strerror(errno)))")
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        let now = Date()
        if received - lastReportBytes >= 256 * 1024 || now.timeIntervalSince(lastReportTime) >= 0.2 {
            lastReportBytes = received
            lastReportTime = now
            events.emit(.downloadProgress(url: url.absoluteString, bytes: offset + received, totalBytes: total))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        defer { done.signal() }
        if failure != nil || completeAlready { return }
        if let error {
            let reason = Self.describe(error)
            failure = responded ? .interrupted(reason) : .unreachable(reason)
            return
        }
        if let total, offset + received < total {
            failure = .interrupted("ended after \(offset + received) of \(total) bytes")
        }
    }

    private func openDestination(truncate: Bool) -> Bool {
        fd = open(destination, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
        if fd < 0 || lseek(fd, truncate ? 0 : off_t(offset), SEEK_SET) < 0 {
            failure = .localIO("\(destination): cannot open for writing: \(String(cString: strerror(errno)))")
            return false
        }
        if !truncate && ftruncate(fd, off_t(offset)) != 0 {
            failure = .localIO("\(destination): cannot truncate: \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    /// `bytes 100-199/200` → (100, 200); total nil for `*`.
    static func parseContentRange(_ text: String) -> (start: Int64, total: Int64?)? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("bytes ") else { return nil }
        let spec = t.dropFirst("bytes ".count)
        let parts = spec.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let range = parts[0].split(separator: "-", maxSplits: 1)
        guard range.count == 2, let start = Int64(range[0]) else { return nil }
        return (start, parts[1] == "*" ? nil : Int64(parts[1]))
    }

    /// `bytes */200` → 200.
    static func parseUnsatisfiedRange(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("bytes */") else { return nil }
        return Int64(t.dropFirst("bytes */".count))
    }

    private static func describe(_ error: Error) -> String {
        if let e = error as? URLError {
            switch e.code {
            case .cannotConnectToHost: return "connection refused"
            case .cannotFindHost, .dnsLookupFailed: return "host not found"
            case .timedOut: return "timed out"
            case .networkConnectionLost: return "connection lost"
            case .notConnectedToInternet: return "no network"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
                 .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
                return "TLS failed"
            default: return e.localizedDescription
            }
        }
        return "\(error)"
    }
}
