import CBuildBasics
import CBuildConfig
import CBuildGraph
@testable import CBuildImages
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

    @Test(.enabled(if: SyntheticStage4.bootable), .timeLimit(.minutes(6)))
    func aBootWithoutTheMarkerFailsTheNodeAndKeepsTheConsoleLog() async throws {
        let f = try ImageFixture(); defer { f.remove() }
        var settings = ImageFixture.settings
        settings.bootMarker = "A MARKER THIS IMAGE NEVER PRINTS"
        let s = try await f.build(["test/vm/test"], formats: ["qcow2"], settings: settings)
        let r = try #require(s.result("test/vm/test"))
        #expect(r.outcome == .failed)
        let message = r.message ?? ""
        #expect(message.contains("the VM exited with status 0 before"), "\(message)")
        let log = try #require(r.logPath)
        #expect(message.contains("console log: \(log)"))
        // The log holds the whole console: the guest booted and powered off.
        #expect(!log.hasPrefix("/"), "logs are recorded relative to the build directory")
        let console = try String(contentsOfFile: f.path(log), encoding: .isoLatin1)
        #expect(console.contains(SyntheticStage4.marker) && console.contains("reboot: Power down"))
        #expect(!FileManager.default.fileExists(atPath: f.path("artifacts/tests")), "a failed test records no output")
    }
}

/// What a boot test watches: the console log as it grows.
@Suite struct ConsoleWatcherTests {
    @Test func theMarkerIsFoundAcrossReadsButNotInWhatCameBefore() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let log = try dir.write("console.log", "# header mentioning BOOTED already\n")
        let watcher = ConsoleWatcher(path: log, marker: "BOOTED")
        #expect(!watcher.poll())
        let h = try #require(FileHandle(forWritingAtPath: log))
        try h.seekToEnd()
        try h.write(contentsOf: Data("kernel: BOO".utf8))
        #expect(!watcher.poll())
        try h.write(contentsOf: Data("TED ok\n".utf8))
        #expect(watcher.poll())
        try h.close()
    }
}
