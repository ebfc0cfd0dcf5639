import CBuildBasics
import Foundation

/// KVM or TCG for a boot test. `/dev/kvm` can exist and still not work
/// (nested virtualisation without the CPU features OVMF needs fails with
/// "KVM internal error"), so `auto` boots the firmware once under KVM and
/// uses it only when the firmware reaches its boot manager; the answer is
/// kept for the rest of the process.
public enum Accelerator: String, Sendable {
    case kvm, tcg

    private static let lock = NSLock()
    nonisolated(unsafe) private static var probed: Accelerator?

    /// `auto`, `kvm` or `tcg` (from `[image] accelerator`) to what to use.
    public static func choose(_ setting: String, firmware: Firmware, scratch: String) -> Accelerator {
        switch setting {
        case "kvm": return .kvm
        case "tcg": return .tcg
        default:
            lock.lock(); defer { lock.unlock() }
            if let probed { return probed }
            let result: Accelerator = kvmWorks(firmware: firmware, scratch: scratch) ? .kvm : .tcg
            probed = result
            return result
        }
    }

    /// QEMU arguments for this accelerator.
    var qemuArguments: [String] {
        switch self {
        case .kvm: return ["-machine", "q35,accel=kvm", "-cpu", "host"]
        case .tcg: return ["-machine", "q35,accel=tcg"]
        }
    }

    static func kvmWorks(firmware: Firmware, scratch: String) -> Bool {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        close(fd)
        guard Executables.find("qemu-system-x86_64") != nil else { return false }
        let dir = scratch + "/kvm-probe"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let drives = try? firmware.qemuArguments(scratch: dir) else { return false }
        let serial = dir + "/serial.log", output = dir + "/qemu.log"
        let argv = ["qemu-system-x86_64"] + Accelerator.kvm.qemuArguments
            + ["-m", "128", "-nodefaults", "-nographic", "-no-reboot"] + drives
            + ["-serial", "file:\(serial)", "-monitor", "none"]
        let vm = VirtualMachine(argv: argv, logPath: output, registry: nil)
        vm.start()
        defer { vm.stop() }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: serial, encoding: .isoLatin1), s.contains("BdsDxe") { return true }
            if let o = try? String(contentsOfFile: output, encoding: .isoLatin1), o.contains("error") || o.contains("Error") { return false }
            if vm.exited { return false }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }
}
