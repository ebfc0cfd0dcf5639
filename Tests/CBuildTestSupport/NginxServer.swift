import CBuildBasics
import Foundation

/// A real nginx serving a directory on 127.0.0.1 at a free port, for
/// download tests (mirrors). It logs `method uri status range bytes` per
/// request, can throttle responses, and can be killed mid-transfer and
/// restarted on the same port.
public final class NginxServer: @unchecked Sendable {
    /// One line of the access log.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var uri: String
        public var status: Int
        /// The `Range` header, nil when none was sent.
        public var range: String?
        public var bodyBytes: Int64
    }

    public let root: String
    private let nginx: NginxProcess

    /// Starts nginx serving `root`. `limitRate` (e.g. "64k") throttles each
    /// response after `limitRateAfter` bytes, to make a transfer slow
    /// enough to interrupt.
    public init(root: String, port: Int? = nil, limitRate: String? = nil, limitRateAfter: String? = nil) throws {
        self.root = root
        nginx = try NginxProcess(prefix: "cbuild-nginx", port: port)
        try start(limitRate: limitRate, limitRateAfter: limitRateAfter)
    }

    deinit { kill(); nginx.directory.remove() }

    public var directory: TemporaryDirectory { nginx.directory }
    public var port: Int { nginx.port }
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var pid: Int32? { nginx.pid }

    /// (Re)starts nginx; a restart keeps the port, so mirror URLs stay valid.
    public func start(limitRate: String? = nil, limitRateAfter: String? = nil) throws {
        var location = ""
        if let limitRate { location += "limit_rate \(limitRate); " }
        if let limitRateAfter { location += "limit_rate_after \(limitRateAfter); " }
        try nginx.start(logFormat: "$request_method $uri $status $http_range $body_bytes_sent") { port in
            "server { listen 127.0.0.1:\(port); root \(self.root); location / { \(location)} }"
        }
    }

    /// Kills nginx with SIGKILL (open connections drop at once) and waits for it.
    public func kill() { nginx.kill() }

    /// Every request logged so far.
    public func requests() -> [Request] {
        nginx.accessLogFields().compactMap { f in
            guard f.count >= 5, let status = Int(f[2]) else { return nil }
            let range = f[3...f.count - 2].joined(separator: " ")
            return Request(method: f[0], uri: f[1], status: status, range: range == "-" ? nil : range,
                           bodyBytes: Int64(f[f.count - 1]) ?? 0)
        }
    }

    /// A port the kernel just handed out on 127.0.0.1.
    public static func freePort() throws -> Int { try LoopbackPort.free() }

    /// A closed port: nothing listens there (for "mirror is down" tests).
    public static func closedPort() throws -> Int { try LoopbackPort.free() }
}
