import CBuildBasics
import Foundation

/// A small bootable stage4 made in the test: busybox-static, Debian's
/// EFI-stub kernel with an initramfs (cpio) that loads the virtio and ext4
/// modules and switches to the image's root filesystem by its label, and
/// systemd-boot. The root's `/sbin/init` prints what the image's
/// filesystem holds (owners, a device node, a set-uid mode) and the marker,
/// then powers off. It also holds what only a privileged unpack could
/// create — other owners, device nodes, a capability xattr — so the
/// rootless path is exercised.
struct SyntheticStage4 {
    static let marker = "CBUILD-BOOT-OK"

    /// The host's kernel and its version (`linux-image-amd64`).
    static var kernel: (path: String, version: String)? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []).filter { $0.hasPrefix("vmlinuz-") }.sorted()
        guard let name = names.last else { return nil }
        return ("/boot/" + name, String(name.dropFirst("vmlinuz-".count)))
    }

    static let busybox = ["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let systemdBoot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

    /// Whether the host has what the boot tests need.
    static var bootable: Bool {
        kernel != nil && busybox != nil && FileManager.default.fileExists(atPath: systemdBoot)
            && Executables.find("cpio") != nil && Executables.find("qemu-system-x86_64") != nil
            && FileManager.default.fileExists(atPath: "/usr/share/OVMF/OVMF_CODE.fd")
    }

    /// The real kernel, or a `/boot/vmlinuz` symlink to a given target instead.
    enum KernelLink { case none, to(String) }

    static let modules = ["crypto/crc32c_generic", "lib/crc16", "fs/mbcache", "fs/jbd2/jbd2", "fs/ext4/ext4",
                          "drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_pci_legacy_dev",
                          "drivers/virtio/virtio_pci_modern_dev", "drivers/virtio/virtio_pci", "drivers/block/virtio_blk"]

    static let initramfsInit = """
        #!/bin/busybox sh
        B=/bin/busybox
        $B mount -t devtmpfs dev /dev
        $B mount -t proc proc /proc
        $B mount -t sysfs sys /sys
        for m in crc32c_generic crc16 mbcache jbd2 ext4 virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
          [ -f /lib/modules/$m.ko ] && $B insmod /lib/modules/$m.ko
        done
        echo "initramfs: $($B cat /proc/cmdline)"
        i=0
        while [ $i -lt 100 ]; do root=$($B findfs LABEL=root 2>/dev/null) && break; $B sleep 0.2; i=$((i+1)); done
        echo "initramfs: root $root"
        $B mount -t ext4 -o ro "$root" /newroot || { echo CBUILD-ROOT-MOUNT-FAILED; $B poweroff -f; }
        exec $B switch_root /newroot /sbin/init

        """

    static let rootInit = """
        #!/bin/busybox sh
        B=/bin/busybox
        $B mount -t proc proc /proc
        echo "OWNER $($B stat -c %u:%g:%a /home/user)"
        echo "DEVICE $($B stat -c '%t:%T %u:%g %a' /dev/cbuild-null)"
        echo "SETUID $($B stat -c %a /usr/bin/cbuild-su)"
        echo "\(marker)"
        $B poweroff -f

        """

    /// Writes the stage4 tarball (`.tar`, or `.tar.gz` when `gzip`) to `path`.
    /// `kernelLink` replaces the kernel by a `/boot/vmlinuz` symlink.
    static func write(to path: String, scratch: String, kernelLink: KernelLink = .none, extraFile: String? = nil) throws {
        var tar = TarWriter()
        func dir(_ p: String, mode: UInt32 = 0o755, uid: UInt32 = 0, gid: UInt32 = 0) {
            tar.add(.init(path: p, kind: .directory, mode: mode, uid: uid, gid: gid))
        }
        func file(_ p: String, _ bytes: [UInt8], mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                  xattrs: [(String, [UInt8])] = []) {
            tar.add(.init(path: p, kind: .file(bytes), mode: mode, uid: uid, gid: gid, xattrs: xattrs))
        }
        func host(_ p: String) throws -> [UInt8] {
            guard let d = FileManager.default.contents(atPath: p) else { throw CocoaError(.fileReadNoSuchFile) }
            return [UInt8](d)
        }
        dir("./")
        for d in ["bin", "sbin", "boot", "dev", "etc", "proc", "sys", "run", "home", "var", "var/lib", "usr", "usr/bin",
                  "usr/lib", "usr/lib/systemd", "usr/lib/systemd/boot", "usr/lib/systemd/boot/efi", "newroot"] { dir("./" + d) }
        if let busybox { file("./bin/busybox", try host(busybox), mode: 0o755) }
        tar.add(.init(path: "./bin/sh", kind: .symlink("busybox")))
        tar.add(.init(path: "./bin/busybox-link", kind: .hardLink("./bin/busybox"), mode: 0o755))
        file("./sbin/init", Array(rootInit.utf8), mode: 0o755)
        file("./etc/hostname", Array("cbuild-test\n".utf8))
        file("./etc/shadow", Array("root:*:19000:0:99999:7:::\n".utf8), mode: 0o640, gid: 42)
        dir("./home/user", mode: 0o700, uid: 1000, gid: 1000)
        file("./home/user/.profile", Array("# profile\n".utf8), uid: 1000, gid: 1000)
        dir("./var/lib/cbuild", mode: 0o750, uid: 250, gid: 250)
        tar.add(.init(path: "./dev/cbuild-null", kind: .characterDevice(1, 3), mode: 0o666))
        tar.add(.init(path: "./dev/console", kind: .characterDevice(5, 1), mode: 0o600))
        tar.add(.init(path: "./run/initctl", kind: .fifo, mode: 0o600))
        file("./usr/bin/cbuild-su", Array("#!/bin/sh\n".utf8), mode: 0o4755)
        // CAP_NET_RAW, VFS_CAP_REVISION_2.
        let capability: [UInt8] = [0, 0, 0, 2, 0, 0x20, 0, 0] + [UInt8](repeating: 0, count: 12)
        file("./usr/bin/cbuild-ping", Array("#!/bin/sh\n".utf8), mode: 0o755, xattrs: [("security.capability", capability)])
        file("./usr/share/doc/" + String(repeating: "long-directory-name/", count: 6) + "README", Array("long\n".utf8))
        if let extraFile { file("./etc/cbuild-extra", Array(extraFile.utf8)) }
        if FileManager.default.fileExists(atPath: systemdBoot) {
            file("./usr/lib/systemd/boot/efi/systemd-bootx64.efi", try host(systemdBoot), mode: 0o644)
        }
        switch kernelLink {
        case .none:
            if let kernel {
                file("./boot/vmlinuz-\(kernel.version)", try host(kernel.path))
                file("./boot/initramfs-\(kernel.version).img", try initramfs(scratch: scratch, version: kernel.version))
            }
        case let .to(target):
            tar.add(.init(path: "./boot/vmlinuz", kind: .symlink(target)))
        }
        let bytes = tar.archive
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw CocoaError(.fileWriteUnknown) }
        if path.hasSuffix(".gz") {
            let plain = path + ".plain"
            try FileManager.default.moveItem(atPath: path, toPath: plain)
            let r = try SystemProcessRunner().run(["sh", "-c", "gzip -1 -n -c \"$1\" > \"$2\" && rm \"$1\"", "sh", plain, path])
            guard r.succeeded else { throw CocoaError(.fileWriteUnknown) }
        }
    }

    /// An initramfs (newc cpio) with busybox, the modules and `initramfsInit`.
    static func initramfs(scratch: String, version: String) throws -> [UInt8] {
        let root = scratch + "/initramfs-tree"
        let fm = FileManager.default
        for d in ["bin", "dev", "proc", "sys", "newroot", "lib/modules"] {
            try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        if let busybox { try fm.copyItem(atPath: busybox, toPath: root + "/bin/busybox") }
        try initramfsInit.write(toFile: root + "/init", atomically: true, encoding: .utf8)
        chmod(root + "/init", 0o755)
        for m in modules {
            let source = "/lib/modules/\(version)/kernel/\(m).ko"
            if fm.fileExists(atPath: source) {
                try fm.copyItem(atPath: source, toPath: root + "/lib/modules/" + (m as NSString).lastPathComponent + ".ko")
            }
        }
        let out = scratch + "/initramfs.cpio"
        let r = try SystemProcessRunner().run(["sh", "-c", "cd \"$1\" && find . -exec touch -h -d @1700000000 {} + && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet > \"$2\"",
                                               "sh", root, out])
        guard r.succeeded, let data = fm.contents(atPath: out) else { throw CocoaError(.fileWriteUnknown) }
        try? fm.removeItem(atPath: root)
        return [UInt8](data)
    }
}
