import CBuildBasics
import Foundation

/// A real nginx with WebDAV writes (`dav_methods PUT DELETE MKCOL`,
/// `create_full_put_path on`) on 127.0.0.1 at a free port: a shared cache
/// server as a team would run it. The store is a temp directory the tests
/// can read and tamper with; nginx runs as one process (as root with
/// `user root;` so its worker owns the store), is stopped by its PID, and
/// can be restarted on the same port. `token` makes it answer 401 to
/// requests without `Authorization: Bearer <token>`.
public final class WebDAVServer: @unchecked Sendable {
    /// One line of the access log.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var uri: String
        public var status: Int
    }

    public let token: String?
    private let nginx: NginxProcess

    public init(token: String? = nil) throws {
        nginx = try NginxProcess(prefix: "cbuild-dav")
        self.token = token
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        try start()
    }

    deinit { stop(); directory.remove() }

    public var directory: TemporaryDirectory { nginx.directory }
    /// Where PUT bodies land: `store/ac/<key>`, `store/cas/<sha256>`.
    public var store: String { directory.path + "/store" }
    public var port: Int { nginx.port }
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var pid: Int32? { nginx.pid }

    /// (Re)starts nginx; a restart keeps the port.
    public func start() throws {
        let auth = token.map { "if ($http_authorization != \"Bearer \($0)\") { return 401; }" } ?? ""
        try nginx.start(logFormat: "$request_method $uri $status", httpExtra: "client_max_body_size 0;") { port in
            """
            server {
                listen 127.0.0.1:\(port);
                root \(self.store);
                location / {
                    \(auth)
                    dav_methods PUT DELETE MKCOL;
                    create_full_put_path on;
                    dav_access user:rw group:r all:r;
                }
            }
            """
        }
    }

    /// Kills nginx by its PID and waits for it; the port is then closed.
    public func stop() { nginx.kill() }

    /// Every request logged so far.
    public func requests() -> [Request] {
        nginx.accessLogFields().compactMap { f in
            guard f.count >= 3, let status = Int(f[2]) else { return nil }
            return Request(method: f[0], uri: f[1], status: status)
        }
    }

    /// The logged requests once `done` holds for them (nginx logs a request
    /// just after answering it, so a client may be faster); gives up after 3 s.
    public func requests(until done: ([Request]) -> Bool) -> [Request] {
        let deadline = Date().addingTimeInterval(3)
        var seen = requests()
        while !done(seen) && Date() < deadline {
            usleep(10_000)
            seen = requests()
        }
        return seen
    }

    /// Paths of stored entries below `store`, e.g. `ac/3f…`, sorted.
    public func entries(_ kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store + "/" + kind)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted().map { kind + "/" + $0 }
    }
}
