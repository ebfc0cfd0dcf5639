import Foundation

/// The result of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// True when the child was ended by a signal; `status` then holds the signal number.
    public var signaled: Bool
    public var stdout: [UInt8]
    public var stderr: [UInt8]

    public var stdoutString: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrString: String { String(decoding: stderr, as: UTF8.self) }
    public var succeeded: Bool { !signaled && status == 0 }
}

/// Runs short-lived helper tools (gpgv, tar, mksquashfs, qemu-img) and captures
/// their output. Long runs with live output (catalyst) use their own runner.
public protocol ProcessRunning: Sendable {
    func run(_ argv: [String], environment: [String: String]?, currentDirectory: String?, input: [UInt8]?) throws -> ProcessResult
}

extension ProcessRunning {
    public func run(_ argv: [String]) throws -> ProcessResult {
        try run(argv, environment: nil, currentDirectory: nil, input: nil)
    }
}

/// The real runner: Foundation's Process with pipes drained concurrently, so
/// a child writing a lot to stderr never deadlocks.
public struct SystemProcessRunner: ProcessRunning {
    public init() {}

    public func run(_ argv: [String], environment: [String: String]?, currentDirectory: String?, input: [UInt8]?) throws -> ProcessResult {
        precondition(!argv.isEmpty)
        let p = Process()
        if argv[0].contains("/") {
            p.executableURL = URL(fileURLWithPath: argv[0])
            p.arguments = Array(argv.dropFirst())
        } else {
            guard let exe = Executables.find(argv[0]) else {
                throw BasicsError.processLaunch(executable: argv[0], reason: "not found in PATH")
            }
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = Array(argv.dropFirst())
        }
        if let environment { p.environment = environment }
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let inPipe: Pipe? = input != nil ? Pipe() : nil
        p.standardInput = inPipe ?? FileHandle.nullDevice
        do { try p.run() } catch {
            throw BasicsError.processLaunch(executable: argv[0], reason: "\(error)")
        }
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let inPipe, let input {
            inPipe.fileHandleForWriting.write(Data(input))
            try? inPipe.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        group.wait()
        return ProcessResult(status: p.terminationStatus,
                             signaled: p.terminationReason == .uncaughtSignal,
                             stdout: [UInt8](outData), stderr: [UInt8](errData))
    }
}

/// Finds executables on PATH.
public enum Executables {
    public static func find(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
