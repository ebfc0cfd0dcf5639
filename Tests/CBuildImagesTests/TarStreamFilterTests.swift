import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildImages

/// The one pass over a stage4 tarball: metadata recorded, device nodes held back.
@Suite struct TarStreamFilterTests {
    func filter(_ archive: [UInt8], in dir: TemporaryDirectory) throws -> (StageManifest, [UInt8]) {
        let input = try dir.write("in.tar", "")
        try Data(archive).write(to: URL(fileURLWithPath: input))
        let output = dir.path + "/out.tar"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let inFD = open(input, O_RDONLY), outFD = open(output, O_WRONLY)
        defer { close(inFD); close(outFD) }
        let f = TarStreamFilter(input: inFD, output: outFD)
        try f.run()
        return (f.manifest, [UInt8](FileManager.default.contents(atPath: output) ?? Data()))
    }

    @Test func everyMemberIsRecordedAndDevicesAreHeldBack() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var tar = TarWriter()
        let long = "./usr/share/" + String(repeating: "deep/", count: 25) + "file"
        tar.add(.init(path: "./", kind: .directory, mode: 0o755))
        tar.add(.init(path: "./etc/shadow", kind: .file(Array("x\n".utf8)), mode: 0o640, gid: 42))
        tar.add(.init(path: "./dev/null", kind: .characterDevice(1, 3), mode: 0o666))
        tar.add(.init(path: "./bin/sh", kind: .symlink("busybox")))
        tar.add(.init(path: "./bin/ping", kind: .file([1, 2, 3]), mode: 0o4755, uid: 0, gid: 0,
                      xattrs: [("security.capability", [0, 1, 2, 0xff])]))
        tar.add(.init(path: long, kind: .file(Array("deep".utf8)), mode: 0o600, uid: 1000, gid: 100))
        let (manifest, out) = try filter(tar.archive, in: dir)
        #expect(manifest.entries.map(\.path) == ["", "etc/shadow", "dev/null", "bin/sh", "bin/ping", String(long.dropFirst(2))])
        #expect(manifest["etc/shadow"]?.gid == 42 && manifest["etc/shadow"]?.mode == 0o640)
        let null = try #require(manifest["dev/null"])
        #expect(null.kind == .characterDevice && null.deviceMajor == 1 && null.deviceMinor == 3 && null.needsPrivilege)
        #expect(manifest["bin/sh"]?.linkTarget == "busybox")
        #expect(manifest["bin/ping"]?.mode == 0o4755)
        #expect(manifest["bin/ping"]?.xattrs == [ArchiveEntry.Xattr(name: "security.capability", value: [0, 1, 2, 0xff])])
        #expect(manifest[String(long.dropFirst(2))]?.uid == 1000)
        #expect(manifest.newestMTime == 1_700_000_000)
        // What tar gets: everything but the device node.
        let listed = try SystemProcessRunner().run(["tar", "-tf", "-"], environment: nil, currentDirectory: nil, input: out)
        #expect(listed.succeeded, "\(listed.stderrString)")
        let names = listed.stdoutString.split(separator: "\n").map(String.init)
        #expect(names.contains("./etc/shadow") && names.contains(long) && names.contains("./bin/ping"))
        #expect(!names.contains("./dev/null"))
    }

    @Test(arguments: ["./../escape", "usr/../../etc/passwd"])
    func aMemberClimbingOutIsRefused(name: String) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var tar = TarWriter()
        tar.add(.init(path: name, kind: .file([0])))
        #expect(throws: ImageError.self) { try filter(tar.archive, in: dir) }
    }

    @Test func garbageAndTruncationAreErrors() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        #expect(throws: ImageError.self) { try filter(Array(repeating: 7, count: 1024), in: dir) }
        var tar = TarWriter()
        tar.add(.init(path: "./a", kind: .file(Array(repeating: 1, count: 2000))))
        #expect(throws: ImageError.self) { try filter(Array(tar.bytes.prefix(1024)), in: dir) }
    }

    @Test func theDecompressorFollowsTheExtension() {
        #expect(StageUnpacker.decompressor(for: "a/stage4-amd64-x.tar.xz")?.first == "xz")
        #expect(StageUnpacker.decompressor(for: "stage4.tar.gz")?.first == "gzip")
        #expect(StageUnpacker.decompressor(for: "stage4.tar.zst")?.first == "zstd")
        #expect(["bzip2", "lbzip2"].contains(StageUnpacker.decompressor(for: "stage4.tar.bz2")?.first ?? ""))
        #expect(StageUnpacker.decompressor(for: "stage4.tar") == nil)
    }
}
