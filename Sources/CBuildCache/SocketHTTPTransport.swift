import CBuildBasics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client over POSIX sockets for plain `http://` cache
/// servers (bazel-remote and nginx on a LAN or loopback). One connection
/// per request (`Connection: close`). Downloads move through one 1 MiB
/// buffer from the socket to the file, hashed on the way, so a multi-GB
/// stage never sits in memory and its digest is known when the last byte
/// lands; uploads go from the file to the socket with sendfile(2).
/// Every wait is bounded by `timeout` (connect, each send and each read).
/// Responses may be framed by `Content-Length`, chunked, or by close.
public final class SocketHTTPTransport: CacheTransport {
    public let base: String
    private let host: String
    private let port: String
    private let basePath: String
    private let hostHeader: String
    private let token: String?
    private let timeout: TimeInterval

    /// Size of each file read / socket read while streaming.
    static let bufferSize = 1 << 20
    /// Response headers larger than this are refused.
    static let headerLimit = 64 * 1024

    public init(base: String, token: String?, timeout: TimeInterval) throws(TransportError) {
        guard let url = URL(string: base), url.scheme == "http", let host = url.host, !host.isEmpty else {
            throw .unreachable("not an http:// URL: \(base)")
        }
        self.base = base
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = String(url.port ?? 80)
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        let shownHost = self.host.contains(":") ? "[\(self.host)]" : self.host
        hostHeader = url.port.map { "\(shownHost):\($0)" } ?? shownHost
        self.token = token
        self.timeout = max(0.1, timeout)
    }

    // MARK: - the five requests

    public func head(_ path: String) throws(TransportError) -> Int64? {
        guard let (_, response) = try fetch("HEAD", path) else { return nil }
        return response.contentLength ?? 0
    }

    public func get(_ path: String, limit: Int) throws(TransportError) -> [UInt8]? {
        guard let (c, response) = try fetch("GET", path) else { return nil }
        var body: [UInt8] = []
        try c.readBody(response) { (chunk: UnsafeRawBufferPointer) throws(TransportError) in
            guard body.count + chunk.count <= limit else { throw .malformedResponse("body longer than \(limit) bytes") }
            body.append(contentsOf: chunk)
        }
        return body
    }

    public func download(_ path: String, into fd: Int32,
                         progress: (Int64, Int64?) -> Void) throws(TransportError) -> (bytes: Int64, sha256: Digest)? {
        guard let (c, response) = try fetch("GET", path) else { return nil }
        let hasher = ContentHasher(.sha256)
        var bytes: Int64 = 0
        var reported: Int64 = 0
        let total = response.contentLength
        try c.readBody(response) { (chunk: UnsafeRawBufferPointer) throws(TransportError) in
            hasher.update(chunk)
            var offset = 0
            while offset < chunk.count {
                let n = Glibc.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .localIO("write failed: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
            bytes += Int64(chunk.count)
            if bytes - reported >= 4 << 20 { reported = bytes; progress(bytes, total) }
        }
        progress(bytes, total)
        return (bytes, hasher.finalize())
    }

    public func put(_ path: String, body: [UInt8]) throws(TransportError) {
        let c = try open()
        try c.send(requestHead("PUT", path, contentLength: Int64(body.count)) + body)
        try expectStored(try c.readHead())
    }

    public func upload(_ path: String, file: String, progress: (Int64) -> Void) throws(TransportError) {
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .localIO("\(file): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .localIO("\(file): cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int64(st.st_size)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        let c = try open()
        // `Expect: 100-continue`: a server that refuses (401, 413, 507) says
        // so before gigabytes move, and nginx takes the body faster after
        // its 100 (measured: curl does the same). No answer within a second
        // means a server that ignores Expect: send anyway (RFC 9110).
        try c.send(requestHead("PUT", path, contentLength: size, expectContinue: true))
        if c.waitReadable(seconds: min(1, timeout)) {
            let answer = try c.readHead(skippingInterim: false)
            if answer.status != 100 { try expectStored(answer); throw .malformedResponse("answered \(answer.status) before the body") }
        }
        var sent: Int64 = 0
        var reported: Int64 = 0
        do throws(TransportError) {
            try Self.withoutSIGPIPE { () throws(TransportError) in
                // sendfile(2): the kernel moves the file's pages to the socket.
                var offset = off_t(0)
                while sent < size {
                    let n = sendfile(c.fd, fd, &offset, Int(min(Int64(4 << 20), size - sent)))
                    if n < 0 {
                        if errno == EINTR { continue }
                        if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                        throw .connectionLost(String(cString: strerror(errno)))
                    }
                    if n == 0 { throw .localIO("\(file): shrank while being uploaded") }
                    sent += Int64(n)
                    if sent - reported >= 4 << 20 { reported = sent; progress(sent) }
                }
            }
        } catch {
            // A server that refuses the body early (413, 507) answers before
            // it closes: report its status rather than the broken pipe.
            if case .connectionLost = error, let response = try? c.readHead() { try expectStored(response) }
            throw error
        }
        progress(sent)
        try expectStored(try c.readHead())
    }

    /// Runs `body` with SIGPIPE blocked on this thread. sendfile(2) to a
    /// peer that closed raises SIGPIPE (it has no MSG_NOSIGNAL); one raised
    /// meanwhile is taken off the pending set before the mask is restored,
    /// so it is never delivered. Ignoring SIGPIPE process-wide instead would
    /// leak into catalyst and every child (an ignored signal is inherited).
    static func withoutSIGPIPE<T>(_ body: () throws(TransportError) -> T) throws(TransportError) -> T {
        var pipe = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipe, &old)
        var before = sigset_t()
        sigpending(&before)
        let wasPending = sigismember(&before, SIGPIPE) == 1
        defer {
            var now = sigset_t()
            sigpending(&now)
            if !wasPending && sigismember(&now, SIGPIPE) == 1 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipe, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &old, nil)
        }
        return try body()
    }

    private func expectStored(_ response: ResponseHead) throws(TransportError) {
        guard (200..<300).contains(response.status) else { throw .httpStatus(response.status) }
    }

    /// Sends a body-less request; nil when the server does not have the
    /// entry (404, 410), the open connection and the 200 head otherwise,
    /// any other status an error.
    private func fetch(_ method: String, _ path: String) throws(TransportError) -> (Connection, ResponseHead)? {
        let c = try open()
        try c.send(requestHead(method, path, contentLength: nil))
        let response = try c.readHead()
        switch response.status {
        case 200: return (c, response)
        case 404, 410: return nil
        default: throw .httpStatus(response.status)
        }
    }

    private func requestHead(_ method: String, _ path: String, contentLength: Int64?, expectContinue: Bool = false) -> [UInt8] {
        var h = "\(method) \(basePath)/\(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: cbuild\r\n"
        h += "Accept-Encoding: identity\r\nConnection: close\r\n"
        if let token { h += "Authorization: Bearer \(token)\r\n" }
        if let contentLength { h += "Content-Type: application/octet-stream\r\nContent-Length: \(contentLength)\r\n" }
        if expectContinue { h += "Expect: 100-continue\r\n" }
        return Array((h + "\r\n").utf8)
    }

    // MARK: - connections

    private func open() throws(TransportError) -> Connection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, port, &hints, &list)
        guard rc == 0, let first = list else {
            throw .unreachable("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(first) }
        var lastError = TransportError.unreachable("no address for \(host)")
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let ai = next {
            next = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if fd < 0 { lastError = .unreachable(String(cString: strerror(errno))); continue }
            if let error = connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) {
                close(fd)
                lastError = error
                continue
            }
            return Connection(fd: fd)
        }
        throw lastError
    }

    /// Connects with a bounded wait, then makes the socket blocking with
    /// send/receive timeouts. Nil on success.
    private func connect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> TransportError? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, address, length) != 0 {
            guard errno == EINPROGRESS else { return .unreachable(String(cString: strerror(errno))) }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var ready: Int32
            repeat { ready = poll(&p, 1, Int32(timeout * 1000)) } while ready < 0 && errno == EINTR
            if ready == 0 { return .timedOut }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 { return .unreachable(String(cString: strerror(err))) }
        }
        _ = fcntl(fd, F_SETFL, flags)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return nil
    }
}

/// The status line and headers of a response.
struct ResponseHead: Sendable {
    var status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    var headers: [String: String]
    var isHead: Bool

    var contentLength: Int64? { headers["content-length"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } }
    var isChunked: Bool { headers["transfer-encoding"]?.lowercased().contains("chunked") == true }

    /// Parses `HTTP/1.1 200 OK\r\nName: value\r\n…` (the blank line excluded).
    static func parse(_ text: String, isHead: Bool) throws(TransportError) -> ResponseHead {
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .malformedResponse("status line '\(statusLine.prefix(80))'")
        }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformedResponse("header line '\(line.prefix(80))'") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return ResponseHead(status: status, headers: headers, isHead: isHead)
    }
}

/// One TCP connection: sends, and reads a response through a small
/// look-ahead buffer (headers, chunk-size lines); body bytes beyond it are
/// read straight into the caller's buffer.
private final class Connection {
    let fd: Int32
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var lastMethodWasHead = false

    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws(TransportError) {
        lastMethodWasHead = bytes.starts(with: Array("HEAD ".utf8))
        try bytes.withUnsafeBytes { raw in Result { () throws(TransportError) in try send(raw) } }.get()
    }

    func send(_ raw: UnsafeRawBufferPointer) throws(TransportError) {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                throw .connectionLost(String(cString: strerror(errno)))
            }
            offset += n
        }
    }

    /// Reads up to `count` bytes: look-ahead first, then the socket. 0 at end.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(TransportError) -> Int {
        if pendingStart < pending.count {
            let n = min(count, pending.count - pendingStart)
            pending.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + pendingStart, byteCount: n) }
            pendingStart += n
            return n
        }
        return try readSocket(into: buffer, count: count)
    }

    /// Adds socket bytes to the look-ahead; false at end of stream.
    private func fill() throws(TransportError) -> Bool {
        if pendingStart > 0 { pending.removeFirst(pendingStart); pendingStart = 0 }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = try chunk.withUnsafeMutableBytes { raw in
            Result { () throws(TransportError) in try readSocket(into: raw.baseAddress!, count: raw.count) }
        }.get()
        if n == 0 { return false }
        pending.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readSocket(into buffer: UnsafeMutableRawPointer, count: Int) throws(TransportError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
            throw .connectionLost(String(cString: strerror(errno)))
        }
    }

    /// A line ending in CRLF (without it); nil at end of stream.
    private func readLine(limit: Int) throws(TransportError) -> String? {
        while true {
            if let cr = findCRLF(from: pendingStart) {
                let line = String(decoding: pending[pendingStart..<cr], as: UTF8.self)
                pendingStart = cr + 2
                return line
            }
            if pending.count - pendingStart > limit { throw .malformedResponse("line longer than \(limit) bytes") }
            guard try fill() else { return nil }
        }
    }

    private func findCRLF(from start: Int) -> Int? {
        var i = start
        while i + 1 < pending.count {
            if pending[i] == 13 && pending[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Whether bytes (or the end of the stream) arrived within `seconds`.
    func waitReadable(seconds: TimeInterval) -> Bool {
        if pendingStart < pending.count { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat { ready = poll(&p, 1, Int32(seconds * 1000)) } while ready < 0 && errno == EINTR
        return ready > 0
    }

    /// The status line and headers; 1xx interim answers are skipped unless asked for.
    func readHead(skippingInterim: Bool = true) throws(TransportError) -> ResponseHead {
        while true {
            var lines: [String] = []
            var size = 0
            while true {
                guard let line = try readLine(limit: SocketHTTPTransport.headerLimit) else {
                    throw lines.isEmpty ? .connectionLost("closed before answering") : .malformedResponse("headers cut short")
                }
                if line.isEmpty { break }
                size += line.utf8.count
                if size > SocketHTTPTransport.headerLimit { throw .malformedResponse("headers too long") }
                lines.append(line)
            }
            let head = try ResponseHead.parse(lines.joined(separator: "\r\n"), isHead: lastMethodWasHead)
            if skippingInterim && (100..<200).contains(head.status) { continue }
            return head
        }
    }

    /// Streams the body of `head` to `sink` in pieces of up to 1 MiB.
    func readBody(_ head: ResponseHead, sink: (UnsafeRawBufferPointer) throws(TransportError) -> Void) throws(TransportError) {
        if head.isHead || head.status == 204 || head.status == 304 { return }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: SocketHTTPTransport.bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        if head.isChunked {
            while true {
                guard let line = try readLine(limit: 1024) else { throw .connectionLost("chunked body cut short") }
                let sizeText = line.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int64(sizeText, radix: 16), size >= 0 else { throw .malformedResponse("chunk size '\(line.prefix(40))'") }
                if size == 0 {
                    while let trailer = try readLine(limit: SocketHTTPTransport.headerLimit), !trailer.isEmpty {}
                    return
                }
                try copy(size, buffer, sink)
                guard try readLine(limit: 2) == "" else { throw .malformedResponse("chunk not followed by CRLF") }
            }
        } else if let length = head.contentLength {
            try copy(length, buffer, sink)
        } else {
            while true {
                let n = try read(into: buffer, count: SocketHTTPTransport.bufferSize)
                if n == 0 { return }
                try sink(UnsafeRawBufferPointer(start: buffer, count: n))
            }
        }
    }

    private func copy(_ length: Int64, _ buffer: UnsafeMutableRawPointer,
                      _ sink: (UnsafeRawBufferPointer) throws(TransportError) -> Void) throws(TransportError) {
        var left = length
        while left > 0 {
            let n = try read(into: buffer, count: Int(min(Int64(SocketHTTPTransport.bufferSize), left)))
            if n == 0 { throw .connectionLost("ended after \(length - left) of \(length) bytes") }
            try sink(UnsafeRawBufferPointer(start: buffer, count: n))
            left -= Int64(n)
        }
    }
}
