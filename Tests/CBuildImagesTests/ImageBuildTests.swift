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
}
