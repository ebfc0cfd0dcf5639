import CBuildConfig
import Foundation

/// What goes on the EFI system partition, found in the unpacked stage4:
/// the kernel and initramfs from `/boot` (or the `[image]` paths), and
/// systemd-boot when the stage4 has it. Every path goes through
/// `StageTree.resolve`, so nothing outside the allowed directories is read.
public struct BootFiles: Sendable, Equatable {
    /// What the firmware starts from `EFI/BOOT/BOOTX64.EFI`.
    public enum Loader: Sendable, Equatable {
        /// systemd-boot as `EFI/BOOT/BOOTX64.EFI`, a loader entry with the command line.
        case systemdBoot(imagePath: String)
        /// The kernel itself as `EFI/BOOT/BOOTX64.EFI` (its command line is built in).
        case efiStub
    }

    /// Image paths (absolute inside the stage4).
    public var kernel: String
    public var initramfs: String?
    public var loader: Loader

    public static let systemdBootPath = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
    static let kernelPrefixes = ["vmlinuz-", "kernel-", "bzImage-", "vmlinux-"]

    /// Finds the boot files; `settings` may name the kernel and initramfs.
    public static func find(in tree: StageTree, settings: ImageConfig) throws -> BootFiles {
        let kernel: String
        if let configured = settings.kernel {
            kernel = try tree.resolve(configured, role: "kernel", allowed: ["/boot"])
        } else {
            kernel = try findKernel(tree)
        }
        var initramfs: String?
        if let configured = settings.initramfs {
            initramfs = try tree.resolve(configured, role: "initramfs", allowed: ["/boot"])
        } else {
            initramfs = try findInitramfs(tree, kernel: kernel)
        }
        if tree.exists(systemdBootPath) {
            let loader = try tree.resolve(systemdBootPath, role: "bootloader", allowed: ["/usr/lib/systemd/boot/efi"])
            return BootFiles(kernel: kernel, initramfs: initramfs, loader: .systemdBoot(imagePath: loader))
        }
        guard isEFIStub(tree.hostPath(kernel)) else {
            throw ImageError.bootFileMissing(role: "bootloader",
                                             searched: [systemdBootPath, "an EFI-stub kernel (\(kernel) is not a PE image)"])
        }
        return BootFiles(kernel: kernel, initramfs: initramfs, loader: .efiStub)
    }

    /// `/boot/vmlinuz` when present, else the highest-versioned `vmlinuz-*`,
    /// `kernel-*`, `bzImage-*` in `/boot` (`*.old` ignored).
    static func findKernel(_ tree: StageTree) throws -> String {
        for plain in ["vmlinuz", "bzImage", "kernel"] where tree.exists("/boot/" + plain) {
            return try tree.resolve("/boot/" + plain, role: "kernel", allowed: ["/boot"])
        }
        let candidates = tree.list("/boot").filter { name in
            kernelPrefixes.contains { name.hasPrefix($0) } && !name.hasSuffix(".old")
        }
        guard let best = candidates.max(by: { $0.compare($1, options: .numeric) == .orderedAscending }) else {
            throw ImageError.bootFileMissing(role: "kernel", searched: ["/boot/vmlinuz", "/boot/vmlinuz-*", "/boot/kernel-*"])
        }
        return try tree.resolve("/boot/" + best, role: "kernel", allowed: ["/boot"])
    }

    /// The initramfs matching the kernel's version (dracut's
    /// `initramfs-V.img`, Debian's `initrd.img-V`), else a plain one; nil when none.
    static func findInitramfs(_ tree: StageTree, kernel: String) throws -> String? {
        let name = (kernel as NSString).lastPathComponent
        var names: [String] = []
        if let prefix = kernelPrefixes.first(where: { name.hasPrefix($0) }) {
            let version = String(name.dropFirst(prefix.count))
            names += ["initramfs-\(version).img", "initrd.img-\(version)", "initrd-\(version).img", "initrd-\(version)",
                      "initramfs-\(version)"]
        }
        names += ["initramfs.img", "initrd.img", "initrd", "initramfs"]
        for n in names where tree.exists("/boot/" + n) {
            return try tree.resolve("/boot/" + n, role: "initramfs", allowed: ["/boot"])
        }
        return nil
    }

    /// A PE/COFF image ("MZ" … "PE\0\0"): what UEFI firmware can start.
    public static func isEFIStub(_ hostPath: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: hostPath) else { return false }
        defer { try? h.close() }
        guard let head = try? h.read(upToCount: 4096), head.count >= 0x40,
              head[head.startIndex] == 0x4d, head[head.startIndex + 1] == 0x5a else { return false }
        let b = [UInt8](head)
        let pe = Int(b[0x3c]) | Int(b[0x3d]) << 8 | Int(b[0x3e]) << 16 | Int(b[0x3f]) << 24
        guard pe >= 0, pe + 4 <= b.count else { return false }
        return b[pe] == 0x50 && b[pe + 1] == 0x45 && b[pe + 2] == 0 && b[pe + 3] == 0
    }
}
