import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildImages
import CBuildTestSupport
import Foundation
import Testing

/// The user's story: a stage4 output becomes raw, qcow2 and VHD images
/// without root, verified, reproducible, and rebuilt only when it or the
/// `[image]` settings change.
@Suite(.serialized) struct ImageBuildTests {
    @Test func rawQcow2AndVhdAreBuiltFromTheStage4() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        let s = try await f.build(["image/vm/test.qcow2", "image/vm/test.vhd"])
        #expect(s.failed.isEmpty, "\(s.failed.map { $0.message ?? "" })")
        let raw = try #require(f.output(s, "image/vm/test.raw"))
        var st = stat()
        #expect(stat(raw, &st) == 0)
        #expect(st.st_size == 160 << 20)
        #expect(Int64(st.st_blocks) * 512 < Int64(st.st_size) / 2, "the raw image is sparse")
        #expect(FileManager.default.fileExists(atPath: f.path("artifacts/out/image/vm/test.qcow2")))

        let qcow2 = try #require(f.output(s, "image/vm/test.qcow2"))
        let info = try ImageFixture.run(["qemu-img", "info", "--output=json", qcow2])
        #expect(info.stdoutString.contains("\"format\": \"qcow2\""))
        #expect(info.stdoutString.contains("\"virtual-size\": \(160 << 20)"))

        let vhd = try #require(f.output(s, "image/vm/test.vhd"))
        let handle = try #require(FileHandle(forReadingAtPath: vhd))
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: end - 512)
        let footer = try #require(VHDFooter([UInt8](try handle.read(upToCount: 512) ?? Data())))
        try handle.close()
        #expect(footer.diskType == VHDFooter.fixedDiskType)
        #expect(footer.currentSize == 160 << 20)
        #expect(footer.currentSize % (1 << 20) == 0)
        #expect(footer.checksumIsValid)
        #expect(Int64(end) == footer.currentSize + 512)

        let table = try ImageFixture.run(["sfdisk", "--dump", raw]).stdoutString
        #expect(table.contains("label: gpt"))
        #expect(table.contains("name=\"ESP\"") && table.contains("name=\"root\""))
        #expect(table.contains("type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"))
    }

    @Test func theRootFilesystemCarriesOwnersModesDevicesAndXattrsFromTheArchive() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        let s = try await f.build(["image/vm/test.raw"], formats: ["raw"])
        #expect(s.failed.isEmpty, "\(s.failed.map { $0.message ?? "" })")
        let raw = try #require(f.output(s, "image/vm/test.raw"))
        let layout = DiskLayout(diskSize: 160 << 20, espSize: 48 << 20)
        let root = f.path("root.ext4")
        #expect(try ImageFixture.run(["dd", "if=\(raw)", "of=\(root)", "bs=1M", "skip=\(layout.rootOffset >> 20)",
                                      "count=\(layout.rootSize >> 20)", "status=none"]).succeeded)
        func stat(_ path: String) throws -> String { try ImageFixture.run(["debugfs", "-R", "stat \(path)", root]).stdoutString }
        let home = try stat("/home/user")
        #expect(home.contains("User:  1000   Group:  1000"), "\(home)")
        #expect(home.contains("Mode:  0700"))
        let shadow = try stat("/etc/shadow")
        #expect(shadow.contains("User:     0   Group:    42") && shadow.contains("Mode:  0640"), "\(shadow)")
        let device = try stat("/dev/cbuild-null")
        #expect(device.contains("Type: character special") && device.contains("Mode:  0666"), "\(device)")
        #expect(device.contains("Device major/minor number: 01:03"), "\(device)")
        #expect(try stat("/usr/bin/cbuild-su").contains("Mode:  04755"))
        // Times: the epoch (the newest file in the stage4) everywhere, never the build's clock.
        #expect(home.contains("ctime: 0x6553f100"), "\(home)")
        let xattrs = try ImageFixture.run(["debugfs", "-R", "ea_list /usr/bin/cbuild-ping", root]).stdoutString
        #expect(xattrs.contains("security.capability"), "\(xattrs)")
        let fsck = try ImageFixture.run(["e2fsck", "-f", "-n", root])
        #expect(fsck.status == 0, "\(fsck.stdoutString)")
        // The boot entry names the root partition sfdisk wrote.
        let table = try ImageFixture.run(["sfdisk", "--dump", raw]).stdoutString
        let entry = try ImageFixture.run(["mtype", "-i", "\(raw)@@1M", "::/loader/entries/cbuild.conf"]).stdoutString
        let partuuid = try #require(entry.split(separator: " ").first { $0.hasPrefix("root=PARTUUID=") }?.dropFirst(14))
        #expect(table.uppercased().contains("UUID=\(partuuid.uppercased()), NAME=\"ROOT\""), "\(table)\n\(entry)")
        #expect(entry.contains("linux /vmlinuz") && entry.contains("initrd /initramfs") && entry.contains("console=ttyS0,115200"))
    }

    @Test func buildingTwiceInTwoDirectoriesGivesTheSameBytes() async throws {
        let a = try ImageFixture(); defer { a.remove() }
        let b = try ImageFixture(); defer { b.remove() }
        #expect(try ContentHasher.digestFile(at: a.tarball) == ContentHasher.digestFile(at: b.tarball),
                "the synthetic stage4 itself is reproducible")
        let nodes: [NodeID] = ["image/vm/test.qcow2", "image/vm/test.vhd", "image/vm/test.vmdk"]
        let first = try await a.build(nodes, formats: ["qcow2", "vhd", "vmdk"])
        try await Task.sleep(nanoseconds: 1_100_000_000)   // another second on the clock
        let second = try await b.build(nodes, formats: ["qcow2", "vhd", "vmdk"])
        #expect(first.failed.isEmpty && second.failed.isEmpty, "\((first.failed + second.failed).map { $0.message ?? "" })")
        for node in ["image/vm/test.raw"] + nodes.map(\.name) {
            let x = try #require(first.result(NodeID(node))?.outputs.first?.sha256)
            let y = try #require(second.result(NodeID(node))?.outputs.first?.sha256)
            #expect(x == y, "\(node) differs between two builds")
        }
    }

    @Test func anUpgradedImageToolRebuildsExactlyTheImagesItShapes() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        let tools = FixedToolVersions()
        #expect(try await f.build(["image/vm/test.qcow2"], formats: ["qcow2"], tools: tools).failed.isEmpty)
        // qemu-img converts the raw image: only the qcow2 is rebuilt.
        tools.set("qemu-img", "qemu-img version 9.9.9\n")
        let second = try await f.build(["image/vm/test.qcow2"], formats: ["qcow2"], tools: tools)
        #expect(second.result("image/vm/test.raw")?.outcome == .clean)
        let qcow2 = try #require(second.result("image/vm/test.qcow2"))
        #expect(qcow2.outcome == .built)
        #expect(qcow2.explanation.reasons.contains { $0.text.contains("qemu-img version 9.9.9") }, "\(qcow2.explanation.reasons.map(\.text))")
        // mke2fs shapes the raw image's filesystem.
        tools.set("mkfs.ext4", "mke2fs 9.0\n")
        let third = try await f.build(["image/vm/test.qcow2"], formats: ["qcow2"], tools: tools)
        #expect(third.result("image/vm/test.raw")?.outcome == .built)
        #expect(third.result("stage4/vm/test")?.outcome == .clean, "the stage4 is not rebuilt")
        #expect(f.counter.all == ["stage4/vm/test"])
    }

    @Test func aChangedImageSettingRebuildsTheImageButNotTheStage4() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        let first = try await f.build(["image/vm/test.qcow2"], formats: ["qcow2"])
        #expect(first.failed.isEmpty)
        #expect(f.counter.all == ["stage4/vm/test"])
        var changed = ImageFixture.settings
        changed.kernelCommandLine = "quiet"
        let second = try await f.build(["image/vm/test.qcow2"], formats: ["qcow2"], settings: changed)
        #expect(f.counter.all == ["stage4/vm/test"], "the stage4 is not rebuilt")
        #expect(second.result("stage4/vm/test")?.outcome == .clean)
        let raw = try #require(second.result("image/vm/test.raw"))
        #expect(raw.outcome == .built)
        #expect(raw.explanation.reasons.contains { $0.text.contains("image-settings") }, "\(raw.explanation.reasons.map(\.text))")
        #expect(second.result("image/vm/test.qcow2")?.outcome == .built, "a new raw image makes a new qcow2")
        // Only the boot settings changed: the images stay clean.
        changed.bootMarker = "another marker"
        let third = try await f.build(["image/vm/test.qcow2"], formats: ["qcow2"], settings: changed)
        #expect(third.result("image/vm/test.raw")?.outcome == .clean)
        #expect(third.result("image/vm/test.qcow2")?.outcome == .clean)
    }

    @Test(arguments: ["/etc/shadow", "../../etc/shadow", "../../../../../../etc/passwd"])
    func aKernelSymlinkLeavingBootIsRefused(target: String) async throws {
        let f = try ImageFixture(kernelLink: .to(target)); defer { f.remove() }
        let s = try await f.build(["image/vm/test.raw"], formats: ["raw"])
        let r = try #require(s.result("image/vm/test.raw"))
        #expect(r.outcome == .failed)
        let message = r.message ?? ""
        #expect(message.contains("refusing the kernel /boot/vmlinuz"), "\(message)")
        #expect(message.contains("outside /boot") || message.contains("climbs above the stage4's root"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: f.path("artifacts/out/image/vm/test.raw")))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: f.path("artifacts/tmp/images"))) ?? []
        #expect(leftovers.isEmpty, "the unpacked tree is removed: \(leftovers)")
    }

    @Test func aDiskTooSmallForTheStage4FailsWithTheSizes() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        var tiny = ImageFixture.settings
        tiny.size = 44 << 20       // a 2 MiB root partition
        tiny.espSize = 40 << 20
        let s = try await f.build(["image/vm/test.raw"], formats: ["raw"], settings: tiny)
        let message = s.result("image/vm/test.raw")?.message ?? ""
        #expect(message.contains("root partition has"), "\(message)")
    }
}
