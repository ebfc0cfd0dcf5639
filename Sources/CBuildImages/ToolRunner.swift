import CBuildBasics
import CBuildGraph
import Foundation

/// Runs the image tools (mkfs.ext4, debugfs, sfdisk, mtools, qemu-img, …):
/// each command line and its output go to the node's log, each child runs
/// in its own process group registered for interrupts, and the environment
/// is pinned (`LC_ALL=C`, fake times) so the output does not depend on the
/// builder's locale or clock.
struct ToolRunner: Sendable {
    let logPath: String
    let registry: ProcessGroupRegistry?
    /// Added to the inherited environment.
    let environment: [String: String]

    /// Debian packages that provide each tool, for the "not installed" hint.
    static let packages: [String: String] = [
        "mkfs.ext4": "e2fsprogs", "debugfs": "e2fsprogs", "e2fsck": "e2fsprogs",
        "mkfs.vfat": "dosfstools", "mmd": "mtools", "mcopy": "mtools", "mdir": "mtools", "mlabel": "mtools",
        "sfdisk": "fdisk", "qemu-img": "qemu-utils", "qemu-system-x86_64": "qemu-system-x86",
        "tar": "tar", "xz": "xz-utils", "bzip2": "bzip2", "gzip": "gzip", "zstd": "zstd", "dd": "coreutils",
        "lbzip2": "lbzip2", "pixz": "pixz",
    ]

    init(logPath: String, registry: ProcessGroupRegistry?, environment: [String: String] = [:]) {
        self.logPath = logPath; self.registry = registry; self.environment = environment
    }

    func with(_ extra: [String: String]) -> ToolRunner {
        ToolRunner(logPath: logPath, registry: registry, environment: environment.merging(extra) { $1 })
    }

    var mergedEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        env["TZ"] = "UTC"
        env["MTOOLS_SKIP_CHECK"] = "1"
        for (k, v) in environment { env[k] = v }
        return env
    }

    static func require(_ tool: String) throws -> String {
        guard let path = Executables.find(tool) else {
            throw ImageError.toolMissing(tool: tool, package: packages[tool] ?? tool)
        }
        return path
    }

    /// Appends a line to the node's log.
    func note(_ text: String) {
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Runs `argv` to completion; returns its (merged) output lines.
    @discardableResult
    func run(_ argv: [String], allowFailure: Bool = false) throws -> (status: Int32, lines: [String]) {
        try checkInterrupted()
        _ = try Self.require(argv[0])
        note("$ " + argv.map(Self.quote).joined(separator: " "))
        let lines = LineCollector()
        let start = Date()
        defer { note(String(format: "# %@: %.2f s", argv[0], Date().timeIntervalSince(start))) }
        var group: pid_t = 0
        let exit = try ChildProcess.run(argv, environment: mergedEnvironment, logPath: logPath,
                                        onStart: { pid in group = pid; registry?.add(pid) },
                                        onLine: { lines.append($0) })
        if group != 0 { registry?.remove(group) }
        try checkInterrupted()
        if !exit.succeeded && !allowFailure {
            throw ImageError.toolFailed(command: argv[0], status: exit.status, output: lines.all.joined(separator: "\n"))
        }
        return (exit.status, lines.all)
    }

    /// Runs a short tool whose standard output is data (JSON): stdout and
    /// stderr apart; both are logged.
    func capture(_ argv: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try checkInterrupted()
        let exe = try Self.require(argv[0])
        note("$ " + argv.map(Self.quote).joined(separator: " "))
        let start = Date()
        defer { note(String(format: "# %@: %.2f s", argv[0], Date().timeIntervalSince(start))) }
        let r = try SystemProcessRunner().run([exe] + argv.dropFirst(), environment: mergedEnvironment,
                                              currentDirectory: nil, input: nil)
        note(r.stdoutString + r.stderrString)
        return (r.signaled ? 128 + r.status : r.status, r.stdoutString, r.stderrString)
    }

    func checkInterrupted() throws {
        if registry?.isInterrupted == true { throw RuleFailure("interrupted", logPath: logPath, interrupted: true) }
    }

    static func quote(_ s: String) -> String {
        if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@+%".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Collects lines from a child's output callback.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
