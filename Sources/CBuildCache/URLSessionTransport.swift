import CBuildBasics
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The cache requests through URLSession, for `https://` servers (TLS).
/// Downloads stream through the data delegate into the file and the
/// hasher; uploads stream from the file (`uploadTask(fromFile:)`). Slower
/// than `SocketHTTPTransport` on Linux, which plain `http://` uses.
public final class URLSessionTransport: CacheTransport {
    public let base: String
    private let token: String?
    private let timeout: TimeInterval

    public init(base: String, token: String?, timeout: TimeInterval) {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        self.base = b
        self.token = token
        self.timeout = max(0.1, timeout)
    }

    public func head(_ path: String) throws(TransportError) -> Int64? {
        let r = try perform("HEAD", path, body: .none, sink: Sink())
        switch r.status {
        case 200: return r.length ?? 0
        case 404, 410: return nil
        default: throw .httpStatus(r.status)
        }
    }

    public func get(_ path: String, limit: Int) throws(TransportError) -> [UInt8]? {
        let sink = Sink(limit: limit)
        let r = try perform("GET", path, body: .none, sink: sink)
        switch r.status {
        case 200: return sink.body
        case 404, 410: return nil
        default: throw .httpStatus(r.status)
        }
    }

    public func download(_ path: String, into fd: Int32,
                         progress: (Int64, Int64?) -> Void) throws(TransportError) -> (bytes: Int64, sha256: Digest)? {
        let sink = Sink(fd: fd)
        let r = try perform("GET", path, body: .none, sink: sink) { received, _ in progress(received, nil) }
        switch r.status {
        case 200:
            progress(sink.received, r.length)
            return (sink.received, sink.hasher!.finalize())
        case 404, 410: return nil
        default: throw .httpStatus(r.status)
        }
    }

    public func put(_ path: String, body: [UInt8]) throws(TransportError) {
        let r = try perform("PUT", path, body: .bytes(Data(body)), sink: Sink())
        guard (200..<300).contains(r.status) else { throw .httpStatus(r.status) }
    }

    public func upload(_ path: String, file: String, progress: (Int64) -> Void) throws(TransportError) {
        guard FileManager.default.isReadableFile(atPath: file) else { throw .localIO("\(file): cannot open") }
        let r = try perform("PUT", path, body: .file(URL(fileURLWithPath: file)), sink: Sink()) { _, sent in progress(sent) }
        guard (200..<300).contains(r.status) else { throw .httpStatus(r.status) }
    }

    // MARK: - one exchange

    private enum Body { case none, bytes(Data), file(URL) }

    /// Runs one request to its end. The delegate only counts and writes;
    /// `progress(received, sent)` runs on the calling thread while it waits.
    private func perform(_ method: String, _ path: String, body: Body, sink: Sink,
                         progress: (Int64, Int64) -> Void = { _, _ in }) throws(TransportError) -> (status: Int, length: Int64?) {
        guard let url = URL(string: base + "/" + path) else { throw .unreachable("bad URL \(base)/\(path)") }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = 7 * 24 * 3600
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        let exchange = Exchange(sink: sink)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: config, delegate: exchange, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("cbuild", forHTTPHeaderField: "User-Agent")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let task: URLSessionTask
        switch body {
        case .none: task = session.dataTask(with: request)
        case let .bytes(data):
            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            task = session.uploadTask(with: request, from: data)
        case let .file(fileURL):
            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            task = session.uploadTask(with: request, fromFile: fileURL)
        }
        task.resume()
        while exchange.done.wait(timeout: .now() + 0.25) == .timedOut {
            let (received, sent) = exchange.counters
            progress(received, sent)
        }
        let (received, sent) = exchange.counters
        progress(received, sent)
        if let failure = exchange.failure { throw failure }
        return (exchange.status, exchange.length)
    }
}

/// Where a response body goes: a file (hashed on the way) or memory (up
/// to a limit). Touched only on the session's serial delegate queue, read
/// after the request finished.
private final class Sink: @unchecked Sendable {
    let fd: Int32?
    let hasher: ContentHasher?
    let limit: Int
    var body: [UInt8] = []
    var received: Int64 = 0

    init(fd: Int32? = nil, limit: Int = 0) {
        self.fd = fd
        hasher = fd == nil ? nil : ContentHasher(.sha256)
        self.limit = limit
    }

    /// Takes one piece of the body; an error ends the request.
    func take(_ data: Data) -> TransportError? {
        if let fd {
            hasher?.update(data)
            let failed = data.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return true }
                    offset += n
                }
                return false
            }
            if failed { return .localIO("write failed: \(String(cString: strerror(errno)))") }
        } else {
            guard body.count + data.count <= limit else { return .malformedResponse("body longer than \(limit) bytes") }
            body.append(contentsOf: data)
        }
        received += Int64(data.count)
        return nil
    }
}

/// The delegate of one request: status, streamed body, completion.
private final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let sink: Sink
    let done = DispatchSemaphore(value: 0)
    // Written on the session's serial delegate queue, read after `done`.
    var status = 0
    var length: Int64?
    var failure: TransportError?
    private let lock = NSLock()
    private var receivedBytes: Int64 = 0
    private var sentBytes: Int64 = 0

    init(sink: Sink) { self.sink = sink }

    /// Bytes received and sent so far (safe from any thread).
    var counters: (Int64, Int64) { lock.lock(); defer { lock.unlock() }; return (receivedBytes, sentBytes) }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = .malformedResponse("not an HTTP response")
            completionHandler(.cancel)
            return
        }
        status = http.statusCode
        if let text = http.value(forHTTPHeaderField: "Content-Length"), let n = Int64(text) { length = n }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, status == 200 else { return }
        if let error = sink.take(data) {
            failure = error
            dataTask.cancel()
        }
        lock.lock(); receivedBytes = sink.received; lock.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        lock.lock(); sentBytes = totalBytesSent; lock.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        defer { done.signal() }
        guard failure == nil, let error else { return }
        if let e = error as? URLError {
            switch e.code {
            case .timedOut: failure = .timedOut
            case .networkConnectionLost: failure = .connectionLost(e.localizedDescription)
            default: failure = status == 0 ? .unreachable(e.localizedDescription) : .connectionLost(e.localizedDescription)
            }
        } else {
            failure = .unreachable("\(error)")
        }
    }
}
