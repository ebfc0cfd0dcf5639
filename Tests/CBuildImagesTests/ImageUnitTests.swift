import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildImages

/// The pieces with exact answers: ext4 inode stamping, VHD footers, ids,
/// disk geometry, and the nodes a target gets.
@Suite struct ImageUnitTests {
    @Test func stampingMakesTimesAndOwnersIndependentOfTheUnpackAndKeepsTheFilesystemValid() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        try dir.write("tree/etc/motd", "hello\n")
        try dir.write("tree/home/u/file", "data\n")
        let img = dir.path + "/fs.img"
        _ = FileManager.default.createFile(atPath: img, contents: nil)
        truncate(img, 32 << 20)
        let env = ["E2FSPROGS_FAKE_TIME": "1600000000"]
        let mkfs = try SystemProcessRunner().run(["mkfs.ext4", "-q", "-F", "-d", dir.path + "/tree", img],
                                                 environment: ProcessInfo.processInfo.environment.merging(env) { $1 },
                                                 currentDirectory: nil, input: nil)
        #expect(mkfs.succeeded, "\(mkfs.stderrString)")
        let stamped = try Ext4InodeStamper(path: img, epoch: 1_600_000_000).run()
        #expect(stamped >= 14, "reserved inodes, root, lost+found and the tree")
        let stat = try ImageFixture.run(["debugfs", "-R", "stat /home/u/file", img]).stdoutString
        #expect(stat.contains("ctime: 0x5f5e1000"), "\(stat)")
        #expect(stat.contains("atime: 0x5f5e1000"))
        #expect(stat.contains("mtime: 0x5f5e1000"), "a file newer than the epoch is clamped")
        #expect(stat.contains("User:     0   Group:     0"))
        let fsck = try ImageFixture.run(["e2fsck", "-f", "-n", img])
        #expect(fsck.status == 0, "inode checksums are right: \(fsck.stdoutString)")
    }

    @Test func aVHDFooterIsPinnedAndItsChecksumKept() throws {
        var bytes = [UInt8](repeating: 0, count: 512)
        bytes.replaceSubrange(0..<8, with: Array("conectix".utf8))
        bytes[63] = 2                                  // fixed
        bytes[52] = 0x0A                               // current size 160 MiB: 0x0A000000, big-endian
        var footer = try #require(VHDFooter(bytes))
        #expect(footer.diskType == VHDFooter.fixedDiskType)
        #expect(footer.currentSize == 160 << 20)
        footer.pin(unixTime: VHDFooter.epoch2000 + 86_400, uniqueID: Array(0..<16))
        #expect(footer.timestamp == 86_400)
        #expect(footer.uniqueID == Array(0..<16))
        #expect(footer.checksumIsValid)
        footer.bytes[100] ^= 1
        #expect(!footer.checksumIsValid)
        #expect(VHDFooter(Array(repeating: 0, count: 512)) == nil)
    }

    /// qemu-img writes the VMDK CID without leading zeros; pinning an
    /// 8-digit CID over a 7-digit one ran into the next line
    /// (`CID=dd9c0b2aparentCID=…`), so two builds of one image differed.
    @Test func aVMDKContentIDIsPinnedWhateverWidthQemuWroteIt() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        for old in ["1234567", "89abcdef", "5"] {
            let descriptor = "# Disk DescriptorFile\nversion=1\nCID=\(old)\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n"
            let bytes = [UInt8](repeating: 0, count: 512) + Array(descriptor.utf8) + [UInt8](repeating: 0, count: 1024)
            let path = dir.path + "/d-\(old).vmdk"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try ImageVerifier.pinVMDKContentID(path, cid: "dd9c0b2a")
            let after = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(after.count == bytes.count, "\(old)")
            let text = String(decoding: after[512...].prefix { $0 != 0 }, as: UTF8.self)
            #expect(text == descriptor.replacingOccurrences(of: "CID=\(old)\n", with: "CID=dd9c0b2a\n"), "\(old): \(text)")
            #expect(after[(512 + text.utf8.count)...].allSatisfy { $0 == 0 }, "\(old): padding after the text")
        }
    }

    /// A sparse extent header that places the descriptor outside the file
    /// is an error naming the file, not a read past its end.
    @Test func aVMDKHeaderPointingOutsideTheFileIsRefused() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        for (offset, size) in [(UInt64(1), UInt64(100)), (UInt64.max, UInt64(1)), (UInt64(0), UInt64(20))] {
            var bytes = Array("KDMV".utf8) + [UInt8](repeating: 0, count: 2044)
            for i in 0..<8 { bytes[28 + i] = UInt8((offset >> (8 * UInt64(i))) & 0xff); bytes[36 + i] = UInt8((size >> (8 * UInt64(i))) & 0xff) }
            let path = dir.path + "/h.vmdk"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect {
                try ImageVerifier.pinVMDKContentID(path, cid: "dd9c0b2a")
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains("places its descriptor at sector \(offset)")
            }
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == bytes, "unchanged")
        }
    }

    @Test func idsComeFromTheKeyAndDifferByPurpose() {
        let a = DerivedIdentity(key: "sha256:aa"), b = DerivedIdentity(key: "sha256:bb")
        #expect(a.rootFilesystemUUID == DerivedIdentity(key: "sha256:aa").rootFilesystemUUID)
        #expect(a.rootFilesystemUUID != b.rootFilesystemUUID)
        #expect(Set([a.diskUUID, a.espPartitionUUID, a.rootPartitionUUID, a.rootFilesystemUUID, a.rootHashSeed]).count == 5)
        let uuid = a.rootPartitionUUID
        #expect(uuid.count == 36 && Array(uuid)[14] == "4" && "89ab".contains(Array(uuid)[19]))
        #expect(a.uuidBytes("x").count == 16)
        #expect(a.espVolumeID.count == 8)
    }

    @Test func theDiskIsMiBAlignedWithRoomForTheBackupTable() {
        let l = DiskLayout(diskSize: 8 << 30, espSize: 256 << 20)
        #expect(l.espOffset == 1 << 20 && l.rootOffset == (257 << 20))
        #expect(l.rootOffset + l.rootSize == (8 << 30) - (1 << 20))
        let script = l.sfdiskScript(DerivedIdentity(key: "k"))
        #expect(script.contains("start=2048, size=524288, type=\(DiskLayout.espType)"))
        #expect(script.contains("start=526336, size=16248832, type=\(DiskLayout.rootType)"))
    }

    @Test func aTargetGetsRawConvertedAndTestNodesWithNeutralKeys() throws {
        let t = ResolvedTarget(name: "web", fleet: "canary", nodeName: "stage4/web@canary", stage: .stage(4),
                               seed: .seed("s"), snapshotRole: "testing", profile: "p", subarch: "amd64",
                               images: ["vhd", "qcow2"])
        let defs = ImageNodes.definitions(for: t, environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(defs.map(\.id.name) == ["image/web@canary.raw", "image/web@canary.vhd", "image/web@canary.qcow2", "test/web@canary"])
        #expect(defs[0].dependencies == ["stage4/web@canary"])
        #expect(defs[1].dependencies == ["image/web@canary.raw"])
        #expect(defs[3].dependencies == ["image/web@canary.vhd"], "the first listed format is booted")
        #expect(defs[0].rule.inputName(for: "stage4/web@canary") == "stage4")
        #expect(defs[1].rule.inputName(for: "image/web@canary.raw") == "raw")
        #expect((defs[0].rule as? RawImageRule)?.sourceDateEpoch == 1_700_000_000)
        let noImages = ResolvedTarget(name: "base", nodeName: "stage4/base", stage: .stage(4), seed: .seed("s"),
                                      snapshotRole: "stable", profile: "p", subarch: "amd64")
        #expect(ImageNodes.definitions(for: noImages).isEmpty)
        #expect(ImageNodes.format(of: "image/vm/test.qcow2") == .qcow2)
        #expect(ImageNodes.format(of: "stage4/vm/test") == nil)
    }

    @Test func settingsThatShapeTheImageEnterTheKeyAndBootSettingsDoNot() throws {
        let base = ImageConfig()
        var boot = base; boot.bootMarker = "other"; boot.bootTimeout = 9
        var cmdline = base; cmdline.kernelCommandLine = "quiet"
        func text(_ c: ImageConfig) -> String { RawImageRule(stageNode: "stage4/a", targetName: "a", settings: c).settingsText }
        #expect(text(base) == text(boot))
        #expect(text(base) != text(cmdline))
        #expect(RawImageRule(stageNode: "stage4/a", targetName: "a", settings: base)
            .commandLine(DerivedIdentity(key: "k")).hasPrefix("root=PARTUUID=\(DerivedIdentity(key: "k").rootPartitionUUID) rw"))
    }
}
