import CBuildBasics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx serving a directory on 127.0.0.1 at a free port, for
/// download tests. It writes its own nginx.conf into a temp directory
/// (`daemon off`, `master_process off`: one process, killed by its PID),
/// logs `method uri status range bytes` per request to that directory, and
/// can be killed mid-transfer and restarted on the same port.
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
    public let directory: TemporaryDirectory
    public private(set) var port: Int
    private let lock = NSLock()
    private var process: Process?

    /// Starts nginx serving `root`. `limitRate` (e.g. "64k") throttles each
    /// response after `limitRateAfter` bytes, to make a transfer slow
    /// enough to interrupt.
    public init(root: String, port: Int? = nil, limitRate: String? = nil, limitRateAfter: String? = nil) throws {
        self.root = root
        directory = try TemporaryDirectory(prefix: "cbuild-nginx")
        self.port = port ?? 0
        try start(limitRate: limitRate, limitRateAfter: limitRateAfter)
    }

    deinit { kill(); directory.remove() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public var pid: Int32? { lock.lock(); defer { lock.unlock() }; return process?.processIdentifier }

    /// (Re)starts nginx. The first start takes a free port (or the one given
    /// to `init`); restarts keep it, so mirror URLs stay valid.
    public func start(limitRate: String? = nil, limitRateAfter: String? = nil) throws {
        kill()
        let keepPort = port != 0
        var lastError = ""
        for _ in 0..<5 {
            let candidate = keepPort ? port : try Self.freePort()
            try writeConfig(port: candidate, limitRate: limitRate, limitRateAfter: limitRateAfter)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.nginxPath)
            p.arguments = ["-p", directory.path, "-c", directory.path + "/nginx.conf", "-e", directory.path + "/error.log"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            if Self.waitForPort(candidate, process: p) {
                lock.lock(); process = p; port = candidate; lock.unlock()
                return
            }
            if p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            lastError = (try? directory.read("error.log")) ?? "no error log"
            if keepPort { usleep(100_000) }
        }
        throw NSError(domain: "NginxServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "nginx did not start: \(lastError)"])
    }

    /// Kills nginx with SIGKILL (open connections drop at once) and waits for it.
    public func kill() {
        lock.lock()
        let p = process
        process = nil
        lock.unlock()
        guard let p else { return }
        if p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Every request logged so far.
    public func requests() -> [Request] {
        guard let text = try? directory.read("access.log") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5, let status = Int(f[2]) else { return nil }
            let range = f[3...f.count - 2].joined(separator: " ")
            return Request(method: f[0], uri: f[1], status: status, range: range == "-" ? nil : range,
                           bodyBytes: Int64(f[f.count - 1]) ?? 0)
        }
    }

    private func writeConfig(port: Int, limitRate: String?, limitRateAfter: String?) throws {
        let d = directory.path
        try FileManager.default.createDirectory(atPath: d + "/tmp", withIntermediateDirectories: true)
        var location = ""
        if let limitRate { location += "limit_rate \(limitRate); " }
        if let limitRateAfter { location += "limit_rate_after \(limitRateAfter); " }
        try directory.write("nginx.conf", """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(d)/nginx.pid;
            error_log \(d)/error.log warn;
            events { worker_connections 64; }
            http {
                types { }
                default_type application/octet-stream;
                log_format cbuild '$request_method $uri $status $http_range $body_bytes_sent';
                access_log \(d)/access.log cbuild;
                client_body_temp_path \(d)/tmp/body;
                proxy_temp_path \(d)/tmp/proxy;
                fastcgi_temp_path \(d)/tmp/fastcgi;
                uwsgi_temp_path \(d)/tmp/uwsgi;
                scgi_temp_path \(d)/tmp/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root);
                    location / { \(location)}
                }
            }

            """)
    }

    static var nginxPath: String {
        Executables.find("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        } ?? "/usr/sbin/nginx"
    }

    /// A port the kernel just handed out on 127.0.0.1 (closed again for nginx to take).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NSError(domain: "NginxServer", code: Int(errno)) }
        defer { close(fd) }
        var addr = loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw NSError(domain: "NginxServer", code: Int(errno)) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// A closed port: nothing listens there (for "mirror is down" tests).
    public static func closedPort() throws -> Int { try freePort() }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    private static func waitForPort(_ port: Int, process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = loopback(port: UInt16(port))
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return true }
            usleep(20_000)
        }
        return false
    }
}
