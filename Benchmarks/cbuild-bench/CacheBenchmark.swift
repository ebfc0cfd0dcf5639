import CBuildBasics
import CBuildCache
import Foundation

/// `cbuild-bench cache`: upload and download throughput of one blob
/// against `curl` on the same loopback nginx WebDAV server and file. cbuild
/// hashes (SHA-256) every byte it downloads; curl does not, so the ratio
/// includes verification. Goal: ≥ 0.9× curl both ways.
struct CacheBenchmark {
    let sizeMiB: Int
    let repeats: Int

    init(arguments: [String]) throws {
        let o = try Bench.integerOptions(arguments, defaults: ["size-mb": 256, "repeat": 3])
        sizeMiB = o["size-mb"]!
        repeats = o["repeat"]!
    }

    func run() throws {
        guard let curl = Executables.find("curl") else { throw Bench.UsageError(description: "curl is not installed") }
        let dir = try Bench.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try BenchWebDAV(directory: dir + "/nginx")
        defer { server.stop() }
        let blob = dir + "/blob.bin"
        try writeRandom(blob, mib: sizeMiB)
        let digest = try ContentHasher.digestFile(at: blob)
        let transport = try SocketHTTPTransport(base: server.baseURL, token: nil, timeout: 30)
        print("cache: one \(sizeMiB) MiB blob to and from nginx WebDAV on 127.0.0.1 (\(server.baseURL))")
        print("best of \(repeats) rounds, contenders interleaved (who goes first alternates); curl timed including process start;")
        print("cbuild's download hashes every byte (SHA-256) and compares; curl only writes")
        print("")

        let name = "cas/\(digest.hex)"
        try transport.upload(name, file: blob) { _ in }
        var up: Bench.Timing<Void>?, curlUp: Bench.Timing<Void>?, down: Bench.Timing<Int64>?, curlDown: Bench.Timing<Void>?
        for round in 0..<repeats {
            // Both upload to a new name (nginx replacing a file costs more
            // than creating one), removed again after the round.
            // The contender going first alternates: writeback of the last
            // round's files falls on both alike.
            let ours = { up = Bench.faster(up, try Bench.measure { try transport.upload("cas/cbuild-\(round)", file: blob) { _ in } }) }
            let theirs = {
                curlUp = Bench.faster(curlUp, try Bench.measure {
                    try tool([curl, "-sS", "-f", "-o", "/dev/null", "-T", blob, "\(server.baseURL)/cas/curl-\(round)"])
                })
            }
            if round % 2 == 0 { try ours(); try theirs() } else { try theirs(); try ours() }
            for n in ["cbuild-\(round)", "curl-\(round)"] { unlink(server.directory + "/store/cas/" + n) }
            let out = dir + "/down.bin"
            down = Bench.faster(down, try Bench.measure { () throws -> Int64 in
                let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                defer { close(fd) }
                guard let got = try transport.download(name, into: fd, progress: { _, _ in }), got.sha256 == digest else {
                    throw Bench.UsageError(description: "downloaded blob does not match")
                }
                return got.bytes
            })
            curlDown = Bench.faster(curlDown, try Bench.measure {
                try tool([curl, "-sS", "-f", "-o", dir + "/curl-down.bin", "\(server.baseURL)/\(name)"])
            })
        }
        let mib = Double(sizeMiB)
        func rate<T>(_ t: Bench.Timing<T>?) -> Double { mib / t!.seconds }
        Bench.printTable(["direction", "cbuild MiB/s", "curl MiB/s", "ratio", "goal"], [
            ["upload (PUT cas/…)", Bench.format(rate(up)), Bench.format(rate(curlUp)), Bench.format(rate(up) / rate(curlUp), 2) + "×", "≥ 0.9×"],
            ["download (GET cas/… + sha256)", Bench.format(rate(down)), Bench.format(rate(curlDown)),
             Bench.format(rate(down) / rate(curlDown), 2) + "×", "≥ 0.9×"],
        ])
    }

    private func tool(_ argv: [String]) throws {
        let r = try SystemProcessRunner().run(argv)
        guard r.succeeded else { throw Bench.UsageError(description: "\(argv.joined(separator: " ")) failed: \(r.stderrString)") }
    }

    private func writeRandom(_ path: String, mib: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var block = [UInt8](repeating: 0, count: 1 << 20)
        var state: UInt64 = 0x9E3779B97F4A7C15
        for _ in 0..<mib {
            for i in stride(from: 0, to: block.count, by: 8) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                withUnsafeBytes(of: state) { for j in 0..<8 { block[i + j] = $0[j] } }
            }
            guard write(fd, block, block.count) == block.count else { throw BasicsError.io(path: path, operation: "write", errno: errno) }
        }
    }
}

/// nginx with WebDAV writes on a free loopback port, one process, for the
/// cache benchmark (the tests have their own fixture).
final class BenchWebDAV {
    let directory: String
    let port: Int
    private let process: Process

    init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/store", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        port = try BenchWebDAV.freePort()
        let d = directory
        let conf = """
            daemon off;
            master_process off;
            worker_processes 1;
            \(geteuid() == 0 ? "user root;" : "")
            pid \(d)/nginx.pid;
            error_log \(d)/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(d)/tmp/body;
                proxy_temp_path \(d)/tmp/proxy;
                fastcgi_temp_path \(d)/tmp/fastcgi;
                uwsgi_temp_path \(d)/tmp/uwsgi;
                scgi_temp_path \(d)/tmp/scgi;
                client_max_body_size 0;
                sendfile on;
                server {
                    listen 127.0.0.1:\(port);
                    root \(d)/store;
                    location / { dav_methods PUT DELETE; create_full_put_path on; }
                }
            }

            """
        try conf.write(toFile: d + "/nginx.conf", atomically: true, encoding: .utf8)
        guard let nginx = Executables.find("nginx") ?? ["/usr/sbin/nginx"].first(where: { fm.isExecutableFile(atPath: $0) }) else {
            throw Bench.UsageError(description: "nginx is not installed")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            do {
                _ = try SocketHTTPTransport(base: baseURL, token: nil, timeout: 1).head("none")
                return
            } catch {}
            usleep(20_000)
        }
        stop()
        throw Bench.UsageError(description: "nginx did not start; see \(d)/error.log")
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw BasicsError.io(path: "127.0.0.1", operation: "bind", errno: errno) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
