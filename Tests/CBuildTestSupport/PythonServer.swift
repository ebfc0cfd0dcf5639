import CBuildBasics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Python server process on 127.0.0.1 at a free port (moto, the Azure
/// page-blob server), started by a test and stopped by its PID.
public final class PythonServer: @unchecked Sendable {
    public let port: Int
    public let directory: TemporaryDirectory
    private let process: Process

    /// Starts `argv(port)` and waits until the port accepts connections:
    /// on a free port, or on `port` (a server started again where a stopped
    /// one listened, for clients that keep its URL).
    public init(prefix: String, port fixedPort: Int? = nil, environment: [String: String] = [:],
                argv: (Int, String) -> [String]) throws {
        directory = try TemporaryDirectory(prefix: prefix)
        var lastError = ""
        for _ in 0..<5 {
            let candidate = try fixedPort ?? LoopbackPort.free()
            let p = Process()
            let args = argv(candidate, directory.path)
            p.executableURL = URL(fileURLWithPath: args[0])
            p.arguments = Array(args.dropFirst())
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            p.environment = env
            FileManager.default.createFile(atPath: directory.path + "/server.log", contents: nil)
            let log = FileHandle(forWritingAtPath: directory.path + "/server.log")
            p.standardOutput = log; p.standardError = log
            try p.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline && p.isRunning && !LoopbackPort.accepts(candidate) { usleep(50_000) }
            if p.isRunning && LoopbackPort.accepts(candidate) {
                port = candidate; process = p
                return
            }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            lastError = (try? directory.read("server.log")) ?? ""
        }
        throw NSError(domain: "PythonServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(prefix) did not start: \(lastError.suffix(2000))"])
    }

    public var pid: Int32 { process.processIdentifier }
    public var url: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL by PID, then wait.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop(); directory.remove() }
}
