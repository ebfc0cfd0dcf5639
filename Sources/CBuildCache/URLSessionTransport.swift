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
        let r = try perform("HEAD", path, body: .none, onData: { _ in nil }, onSent: { _ in })
        switch r.status {
        case 200: return r.length ?? 0
        case 404, 410: return nil
        default: throw .httpStatus(r.status)
        }
    }

    public func get(_ path: String, limit: Int) throws(TransportError) -> [UInt8]? {
        var body: [UInt8] = []
        let r = try perform("GET", path, body: .none, onData: { data in
            guard body.count + data.count <= limit else { return .malformedResponse("body longer than \(limit) bytes") }
            body.append(contentsOf: data)
            return nil
        }, onSent: { _ in })
        switch r.status {
        case 200: return body
        case 404, 410: return nil
        default: throw .httpStatus(r.status)
        }
    }

    public func download(_ path: String, into fd: Int32,
                         progress: (Int64, Int64?) -> Void) throws(TransportError) -> (bytes: Int64, sha256: Digest)? {
        let hasher = ContentHasher(.sha256)
        var bytes: Int64 = 0
        var reported: Int64 = 0
        let r = try withoutActuallyEscaping(progress) { progress in
            Result { () throws(TransportError) in
                try perform("GET", path, body: .none, onData: { data in
                    hasher.update(data)
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
                    bytes += Int64(data.count)
                    if bytes - reported >= 4 << 20 { reported = bytes; progress(bytes, nil) }
                    return nil
                }, onSent: { _ in })
            }
        }.get()
        switch r.status {
        case 200:
            progress(bytes, r.length)
            return (bytes, hasher.finalize())
        case 404, 410: return nil
        default: throw .httpStatus(r.status)
        }
    }

    public func put(_ path: String, body: [UInt8]) throws(TransportError) {
        let r = try perform("PUT", path, body: .bytes(Data(body)), onData: { _ in nil }, onSent: { _ in })
        guard (200..<300).contains(r.status) else { throw .httpStatus(r.status) }
    }

    public func upload(_ path: String, file: String, progress: (Int64) -> Void) throws(TransportError) {
        guard FileManager.default.isReadableFile(atPath: file) else { throw .localIO("\(file): cannot open") }
        let r = try withoutActuallyEscaping(progress) { progress in
            Result { () throws(TransportError) in
                try perform("PUT", path, body: .file(URL(fileURLWithPath: file)), onData: { _ in nil }, onSent: progress)
            }
        }.get()
        guard (200..<300).contains(r.status) else { throw .httpStatus(r.status) }
    }

    // MARK: - one exchange

    private enum Body { case none, bytes(Data), file(URL) }

    private func perform(_ method: String, _ path: String, body: Body, onData: @escaping (Data) -> TransportError?,
                         onSent: @escaping (Int64) -> Void) throws(TransportError) -> (status: Int, length: Int64?) {
        guard let url = URL(string: base + "/" + path) else { throw .unreachable("bad URL \(base)/\(path)") }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = 7 * 24 * 3600
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        let exchange = Exchange(onData: onData, onSent: onSent)
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
        exchange.done.wait()
        if let failure = exchange.failure { throw failure }
        return (exchange.status, exchange.length)
    }
}

/// The delegate of one request: status, streamed body, completion.
private final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let onData: (Data) -> TransportError?
    let onSent: (Int64) -> Void
    let done = DispatchSemaphore(value: 0)
    // Written on the session's serial delegate queue, read after `done`.
    var status = 0
    var length: Int64?
    var failure: TransportError?

    init(onData: @escaping (Data) -> TransportError?, onSent: @escaping (Int64) -> Void) {
        self.onData = onData; self.onSent = onSent
    }

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
        if let error = onData(data) {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        onSent(totalBytesSent)
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
