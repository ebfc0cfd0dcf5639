import CBuildConfig
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildImages

/// Boot files are read only from where they belong in the unpacked stage4.
@Suite struct StageTreeTests {
    /// `/boot` with a kernel, an initramfs and the given extra symlinks.
    func tree(links: [String: String] = [:]) throws -> (TemporaryDirectory, StageTree) {
        let dir = try TemporaryDirectory()
        try dir.write("boot/vmlinuz-6.6.58-gentoo-dist", "kernel")
        try dir.write("boot/vmlinuz-6.6.9-gentoo-dist", "older kernel")
        try dir.write("boot/initramfs-6.6.58-gentoo-dist.img", "initramfs")
        try dir.write("etc/shadow", "secret")
        for (link, target) in links { symlink(target, dir.path + "/" + link) }
        return (dir, StageTree(root: dir.path))
    }

    @Test func theNewestKernelAndItsInitramfsAreFound() throws {
        let (dir, t) = try tree(); defer { dir.remove() }
        #expect(try BootFiles.findKernel(t) == "/boot/vmlinuz-6.6.58-gentoo-dist")
        #expect(try BootFiles.findInitramfs(t, kernel: "/boot/vmlinuz-6.6.58-gentoo-dist") == "/boot/initramfs-6.6.58-gentoo-dist.img")
        #expect(try BootFiles.findInitramfs(t, kernel: "/boot/vmlinuz-6.6.9-gentoo-dist") == nil)
    }

    @Test func symlinksThatStayInBootAreFollowed() throws {
        let (dir, t) = try tree(links: ["boot/vmlinuz": "vmlinuz-6.6.9-gentoo-dist",
                                        "boot/kernel-abs": "/boot/vmlinuz-6.6.58-gentoo-dist"]); defer { dir.remove() }
        #expect(try BootFiles.findKernel(t) == "/boot/vmlinuz-6.6.9-gentoo-dist")
        #expect(try t.resolve("/boot/kernel-abs", role: "kernel", allowed: ["/boot"]) == "/boot/vmlinuz-6.6.58-gentoo-dist")
    }

    @Test(arguments: [("/etc/shadow", "outside /boot"), ("../etc/shadow", "outside /boot"),
                      ("../../../../etc/passwd", "climbs above"), ("/boot/loop", "too many levels")])
    func symlinksLeavingTheirPlaceAreRefused(target: String, problem: String) throws {
        let (dir, t) = try tree(links: ["boot/vmlinuz": target, "boot/loop": "loop"]); defer { dir.remove() }
        do {
            _ = try BootFiles.findKernel(t)
            Issue.record("a kernel symlink to \(target) was accepted")
        } catch let e as ImageError {
            #expect(e.message.contains(problem), "\(e.message)")
        }
    }

    @Test func aDirectoryIsNoKernelAndAMissingOneIsSaid() throws {
        let (dir, t) = try tree(); defer { dir.remove() }
        #expect(throws: ImageError.self) { try t.resolve("/boot", role: "kernel", allowed: ["/"]) }
        let empty = try TemporaryDirectory(); defer { empty.remove() }
        do {
            _ = try BootFiles.find(in: StageTree(root: empty.path), settings: ImageConfig())
            Issue.record("an empty tree gave a kernel")
        } catch let e as ImageError {
            #expect(e.message.contains("has no kernel"))
        }
    }

    @Test func anEFIStubIsRecognisedByItsPEHeader() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var pe = [UInt8](repeating: 0, count: 256)
        pe[0] = 0x4d; pe[1] = 0x5a; pe[0x3c] = 0x80
        pe[0x80] = 0x50; pe[0x81] = 0x45
        _ = FileManager.default.createFile(atPath: dir.path + "/stub", contents: Data(pe))
        _ = FileManager.default.createFile(atPath: dir.path + "/elf", contents: Data([0x7f, 0x45, 0x4c, 0x46] + pe.dropFirst(4)))
        #expect(BootFiles.isEFIStub(dir.path + "/stub"))
        #expect(!BootFiles.isEFIStub(dir.path + "/elf"))
        if let kernel = SyntheticStage4.kernel { #expect(BootFiles.isEFIStub(kernel.path), "Debian's kernel is an EFI stub") }
    }
}
