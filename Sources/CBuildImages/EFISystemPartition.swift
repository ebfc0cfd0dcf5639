import CBuildBasics
import Foundation

/// The EFI system partition, made as a file with `mkfs.vfat` (volume id
/// from the node key) and labelled and filled with mtools (times from
/// `SOURCE_DATE_EPOCH`), with
/// mtools, no mounting: with systemd-boot, `EFI/BOOT/BOOTX64.EFI` is the
/// loader and `loader/entries/cbuild.conf` names `/vmlinuz`, `/initramfs`
/// and the command line; without it the kernel itself (an EFI stub) is
/// `EFI/BOOT/BOOTX64.EFI`.
struct EFISystemPartition {
    let tree: StageTree
    let boot: BootFiles
    let commandLine: String
    let title: String
    let identity: DerivedIdentity
    let epoch: Int64
    let tools: ToolRunner
    let scratch: String

    /// The files written to the ESP: its path → host source or text.
    enum Content: Equatable { case host(String), text(String) }

    var contents: [(String, Content)] {
        var files: [(String, Content)] = []
        switch boot.loader {
        case let .systemdBoot(loader):
            files.append(("/EFI/BOOT/BOOTX64.EFI", .host(tree.hostPath(loader))))
            files.append(("/EFI/systemd/systemd-bootx64.efi", .host(tree.hostPath(loader))))
            files.append(("/vmlinuz", .host(tree.hostPath(boot.kernel))))
            if let initramfs = boot.initramfs { files.append(("/initramfs", .host(tree.hostPath(initramfs)))) }
            files.append(("/loader/loader.conf", .text("default cbuild.conf\ntimeout 0\neditor no\n")))
            var entry = "title \(title)\nlinux /vmlinuz\n"
            if boot.initramfs != nil { entry += "initrd /initramfs\n" }
            entry += "options \(commandLine)\n"
            files.append(("/loader/entries/cbuild.conf", .text(entry)))
        case .efiStub:
            files.append(("/EFI/BOOT/BOOTX64.EFI", .host(tree.hostPath(boot.kernel))))
            if let initramfs = boot.initramfs { files.append(("/initramfs", .host(tree.hostPath(initramfs)))) }
        }
        return files
    }

    func make(file: String, size: Int64) throws {
        unlink(file)
        guard FileManager.default.createFile(atPath: file, contents: nil), truncate(file, off_t(size)) == 0 else {
            throw BasicsError.io(path: file, operation: "create", errno: errno)
        }
        let t = tools.with(["SOURCE_DATE_EPOCH": String(epoch)])
        // mkfs.vfat stamps its label entry with the clock; mlabel honours SOURCE_DATE_EPOCH.
        try t.run(["mkfs.vfat", "-F", "32", "-i", identity.espVolumeID, file])
        try t.run(["mlabel", "-i", file, "::ESP"])
        let files = contents
        var needed: Int64 = 0
        var dirs: [String] = []
        for (path, _) in files {
            var d = (path as NSString).deletingLastPathComponent
            var chain: [String] = []
            while d != "/" && !d.isEmpty { chain.insert(d, at: 0); d = (d as NSString).deletingLastPathComponent }
            for c in chain where !dirs.contains(c) { dirs.append(c) }
        }
        if !dirs.isEmpty { try t.run(["mmd", "-i", file] + dirs.map { "::" + $0 }) }
        for (index, (path, content)) in files.enumerated() {
            let source: String
            switch content {
            case let .host(p): source = p
            case let .text(s):
                source = scratch + "/esp-\(index)"
                try s.write(toFile: source, atomically: true, encoding: .utf8)
            }
            needed += (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? Int64) ?? 0
            guard needed < size - 2 * DiskLayout.mebibyte else {
                throw ImageError.doesNotFit(needed: needed, available: size)
            }
            try t.run(["mcopy", "-i", file, "-o", source, "::" + path])
        }
    }
}
