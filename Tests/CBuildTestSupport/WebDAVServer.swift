import CBuildBasics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx with WebDAV writes (`dav_methods PUT DELETE MKCOL`,
/// `create_full_put_path on`) on 127.0.0.1 at a free port: a shared cache
/// server as a team would run it. The store is a temp directory the tests
/// can read and tamper with; nginx runs as one process (`master_process
/// off`, as root with `user root;` so its worker owns the store), is
/// stopped by its PID, and can be restarted on the same port. `token`
/// makes it answer 401 to requests without `Authorization: Bearer <token>`.
public final class WebDAVServer: @unchecked Sendable {
    /// One line of the access log.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var uri: String
        public var status: Int
    }

    public let directory: TemporaryDirectory
    public let token: String?
    public private(set) var port: Int = 0
    private let lock = NSLock()
    private var process: Process?

    public init(token: String? = nil) throws {
        directory = try TemporaryDirectory(prefix: "cbuild-dav")
        self.token = token
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        try start()
    }

    deinit { stop(); directory.remove() }

    /// Where PUT bodies land: `store/ac/<key>`, `store/cas/<sha256>`.
    public var store: String { directory.path + "/store" }
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var pid: Int32? { lock.lock(); defer { lock.unlock() }; return process?.processIdentifier }

    /// (Re)starts nginx; a restart keeps the port.
    public func start() throws {
        stop()
        let keepPort = port != 0
        var lastError = ""
        for _ in 0..<5 {
            let candidate = keepPort ? port : try NginxServer.freePort()
            try writeConfig(port: candidate)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: NginxServer.nginxPath)
            let d = directory.path
            p.arguments = ["-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            if Self.waitForPort(candidate, process: p) {
                lock.lock(); process = p; port = candidate; lock.unlock()
                return
            }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            lastError = (try? directory.read("error.log")) ?? "no error log"
            if keepPort { usleep(100_000) }
        }
        throw NSError(domain: "WebDAVServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "nginx did not start: \(lastError)"])
    }

    /// Kills nginx by its PID and waits for it; the port is then closed.
    public func stop() {
        lock.lock()
        let p = process
        process = nil
        lock.unlock()
        guard let p else { return }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Every request logged so far.
    public func requests() -> [Request] {
        guard let text = try? directory.read("access.log") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count >= 3, let status = Int(f[2]) else { return nil }
            return Request(method: f[0], uri: f[1], status: status)
        }
    }

    /// Paths of stored entries below `store`, e.g. `ac/3f…`, sorted.
    public func entries(_ kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store + "/" + kind)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted().map { kind + "/" + $0 }
    }

    private func writeConfig(port: Int) throws {
        let d = directory.path
        try FileManager.default.createDirectory(atPath: d + "/tmp", withIntermediateDirectories: true)
        let auth = token.map { "if ($http_authorization != \"Bearer \($0)\") { return 401; }" } ?? ""
        try directory.write("nginx.conf", """
            daemon off;
            master_process off;
            worker_processes 1;
            \(geteuid() == 0 ? "user root;" : "")
            pid \(d)/nginx.pid;
            error_log \(d)/error.log warn;
            events { worker_connections 64; }
            http {
                types { }
                default_type application/octet-stream;
                log_format cbuild '$request_method $uri $status';
                access_log \(d)/access.log cbuild;
                client_body_temp_path \(d)/tmp/body;
                proxy_temp_path \(d)/tmp/proxy;
                fastcgi_temp_path \(d)/tmp/fastcgi;
                uwsgi_temp_path \(d)/tmp/uwsgi;
                scgi_temp_path \(d)/tmp/scgi;
                client_max_body_size 0;
                server {
                    listen 127.0.0.1:\(port);
                    root \(store);
                    location / {
                        \(auth)
                        dav_methods PUT DELETE MKCOL;
                        create_full_put_path on;
                        dav_access user:rw group:r all:r;
                    }
                }
            }

            """)
    }

    private static func waitForPort(_ port: Int, process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else { return false }
            if LoopbackPort.accepts(port) { return true }
            usleep(20_000)
        }
        return false
    }
}

/// Checks and holds loopback TCP ports for server tests.
public enum LoopbackPort {
    /// Whether something accepts connections on 127.0.0.1:`port`.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A socket listening on 127.0.0.1 that never accepts or answers: a
    /// server too slow to reply. Returns (fd, port); close the fd when done.
    public static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { close(fd); throw NSError(domain: "LoopbackPort", code: Int(errno)) }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}
