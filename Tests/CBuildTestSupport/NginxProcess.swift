import CBuildBasics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One nginx process on 127.0.0.1 at a free port, configured by a test
/// fixture: its own nginx.conf in a temp directory (`daemon off`,
/// `master_process off`: a single process, killed by its PID), an access
/// log in the fixture's format, and restarts on the same port. The fixtures
/// (`NginxServer` for mirrors, `WebDAVServer` for the cache) give only the
/// `server { … }` block and the log format.
final class NginxProcess: @unchecked Sendable {
    let directory: TemporaryDirectory
    private let lock = NSLock()
    private var process: Process?
    private var boundPort: Int

    init(prefix: String, port: Int? = nil) throws {
        directory = try TemporaryDirectory(prefix: prefix)
        boundPort = port ?? 0
    }

    var port: Int { lock.lock(); defer { lock.unlock() }; return boundPort }
    var pid: Int32? { lock.lock(); defer { lock.unlock() }; return process?.processIdentifier }

    /// (Re)starts nginx with the `server` block `server(port)` and access-log
    /// format `logFormat`. The first start takes a free port (or the one
    /// given to `init`); restarts keep it, so URLs stay valid.
    func start(logFormat: String, httpExtra: String = "", server: (Int) -> String) throws {
        kill()
        let keepPort = port != 0
        var lastError = ""
        for _ in 0..<5 {
            let candidate = keepPort ? port : try LoopbackPort.free()
            try writeConfig(port: candidate, logFormat: logFormat, httpExtra: httpExtra, server: server(candidate))
            let d = directory.path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.nginxPath)
            p.arguments = ["-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            if Self.waitForPort(candidate, process: p) {
                lock.lock(); process = p; boundPort = candidate; lock.unlock()
                return
            }
            if p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            lastError = (try? directory.read("error.log")) ?? "no error log"
            if keepPort { usleep(100_000) }
        }
        throw NSError(domain: "NginxProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "nginx did not start: \(lastError)"])
    }

    /// Kills nginx by its PID with SIGKILL (open connections drop at once)
    /// and waits for it; the port is then closed.
    func kill() {
        lock.lock()
        let p = process
        process = nil
        lock.unlock()
        guard let p else { return }
        if p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// The access log's lines, split at spaces (empty fields kept).
    func accessLogFields() -> [[String]] {
        guard let text = try? directory.read("access.log") else { return [] }
        return text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
    }

    private func writeConfig(port: Int, logFormat: String, httpExtra: String, server: String) throws {
        let d = directory.path
        try FileManager.default.createDirectory(atPath: d + "/tmp", withIntermediateDirectories: true)
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
                log_format cbuild '\(logFormat)';
                access_log \(d)/access.log cbuild;
                client_body_temp_path \(d)/tmp/body;
                proxy_temp_path \(d)/tmp/proxy;
                fastcgi_temp_path \(d)/tmp/fastcgi;
                uwsgi_temp_path \(d)/tmp/uwsgi;
                scgi_temp_path \(d)/tmp/scgi;
                \(httpExtra)
                \(server)
            }

            """)
    }

    static var nginxPath: String {
        Executables.find("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        } ?? "/usr/sbin/nginx"
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
