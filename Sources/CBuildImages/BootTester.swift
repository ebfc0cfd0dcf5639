import CBuildBasics
import CBuildConfig
import CBuildGraph
import Foundation

/// Boots a disk image in `qemu-system-x86_64` with OVMF and watches its
/// serial console, which goes to `logPath` (appended, so the log also keeps
/// what came before). Passes when `[image] boot_marker` appears within
/// `boot_timeout` seconds; the VM is then stopped. The image is opened
/// with `snapshot=on`: a boot never changes the file it tests.
public struct BootTester: Sendable {
    /// How a boot went: passed or why not, how long, on which accelerator.
    public struct Result: Sendable, Equatable {
        public var passed: Bool
        public var seconds: Double
        public var accelerator: String
        /// Why it failed; nil when it passed.
        public var problem: String?
    }

    public let settings: ImageConfig

    public init(settings: ImageConfig) { self.settings = settings }

    public func boot(image: String, format: ImageFormat, logPath: String, scratch: String,
                     registry: ProcessGroupRegistry?) throws -> Result {
        _ = try ToolRunner.require("qemu-system-x86_64")
        let firmware = try Firmware.find()
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let accelerator = Accelerator.choose(settings.accelerator, firmware: firmware, scratch: scratch)
        let argv = ["qemu-system-x86_64"] + accelerator.qemuArguments
            + ["-m", "\(settings.bootMemory >> 20)", "-smp", "1", "-nodefaults", "-nographic", "-no-reboot"]
            + (try firmware.qemuArguments(scratch: scratch))
            + ["-drive", "file=\(image),format=\(format.qemuName),if=virtio,snapshot=on",
               "-chardev", "file,id=console,path=\(logPath),append=on", "-serial", "chardev:console",
               "-monitor", "none"]
        let tools = ToolRunner(logPath: logPath, registry: registry)
        tools.note("# boot test: marker \"\(settings.bootMarker)\" within \(settings.bootTimeout) s, \(accelerator.rawValue)")
        tools.note("$ " + argv.map(ToolRunner.quote).joined(separator: " "))
        let start = Date()
        let watcher = ConsoleWatcher(path: logPath, marker: settings.bootMarker)
        let vm = VirtualMachine(argv: argv, logPath: logPath, registry: registry)
        vm.start()
        defer { vm.stop() }
        let deadline = start.addingTimeInterval(TimeInterval(settings.bootTimeout))
        func result(_ problem: String?) -> Result {
            Result(passed: problem == nil, seconds: Date().timeIntervalSince(start), accelerator: accelerator.rawValue, problem: problem)
        }
        while true {
            if watcher.poll() { return result(nil) }
            if registry?.isInterrupted == true { throw RuleFailure("interrupted", logPath: logPath, interrupted: true) }
            if vm.exited {
                if watcher.poll() { return result(nil) }
                if let error = vm.error { throw error }
                let status = vm.exitStatus.map { $0.signal.map { "was killed by signal \($0)" } ?? "exited with status \($0.status)" } ?? "stopped"
                return result("the VM \(status) before \"\(settings.bootMarker)\" appeared")
            }
            if Date() >= deadline {
                return result("\"\(settings.bootMarker)\" did not appear within \(settings.bootTimeout) s")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
