import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildImages
import CBuildTestSupport
import Foundation
import Testing

/// Booting images under QEMU with OVMF (TCG when KVM does not work, so
/// these take tens of seconds on two cores; their timeouts are generous).
@Suite(.serialized) struct BootTests {
    @Test(.enabled(if: SyntheticStage4.bootable), .timeLimit(.minutes(6)))
    func theQcow2BootsAndItsRootFilesystemIsWhatTheStage4Says() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        let s = try await f.build(["test/vm/test"], formats: ["qcow2"])
        let result = try #require(s.result("test/vm/test"))
        #expect(result.outcome == .built, "\(result.message ?? "")")
        let log = try String(contentsOfFile: try #require(f.output(s, "test/vm/test")), encoding: .isoLatin1)
        #expect(log.contains(SyntheticStage4.marker))
        // The image's own root filesystem, as its kernel sees it.
        #expect(log.contains("OWNER 1000:1000:700"), "\(log.suffix(2000))")
        #expect(log.contains("DEVICE 1:3 0:0 666"))
        #expect(log.contains("SETUID 4755"))
        // A passed test is not repeated while nothing changed.
        let again = try await f.build(["test/vm/test"], formats: ["qcow2"])
        #expect(again.result("test/vm/test")?.outcome == .clean)
    }
}
