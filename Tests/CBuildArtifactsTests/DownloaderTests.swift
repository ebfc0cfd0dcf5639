import CBuildArtifacts
import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

@Suite struct DownloaderTests {
    @Test func aLocalCopyContinuesAPartialFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = try dir.write("mirror/snapshots/f.bin", String(repeating: "0123456789", count: 1000))
        let partial = try dir.write("partial/f.bin", String(repeating: "0123456789", count: 300))
        let events = CollectingEventSink()

        let size = try Downloader(events: events).download(URL(fileURLWithPath: source), to: partial, resume: true)

        #expect(size == 10_000)
        #expect(FileManager.default.contents(atPath: partial) == FileManager.default.contents(atPath: source))
        guard case let .downloadStarted(_, _, total, from)? = events.events.first else { Issue.record("no start event"); return }
        #expect(total == 10_000 && from == 3_000)
    }

    @Test func missingFilesAndDeadServersAreTold() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("mirror/snapshots/present", "x")
        let d = Downloader(events: NullEventSink(), idleTimeout: 5)
        let dest = dir.path + "/out"
        #expect(throws: DownloadFailure.notFound) {
            try d.download(URL(fileURLWithPath: dir.path + "/mirror/snapshots/absent"), to: dest, resume: false)
        }
        #expect(throws: DownloadFailure.notFound) {
            try d.download(URL(fileURLWithPath: dir.path + "/mirror/snapshots/squashfs/absent"), to: dest, resume: false)
        }
        let server = try NginxServer(root: dir.path + "/mirror")
        #expect(throws: DownloadFailure.notFound) {
            try d.download(URL(string: server.baseURL + "/snapshots/absent")!, to: dest, resume: false)
        }
        #expect(try d.download(URL(string: server.baseURL + "/snapshots/present")!, to: dest, resume: false) == 1)
        let closed = try NginxServer.closedPort()
        do {
            try d.download(URL(string: "http://127.0.0.1:\(closed)/x")!, to: dest, resume: false)
            Issue.record("a closed port answered")
        } catch let failure as DownloadFailure {
            guard case .unreachable = failure else { Issue.record("got \(failure)"); return }
        }
    }

    @Test func aServerRestartingTheFileReplacesThePartialOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("mirror/f", "new content")
        let dest = try dir.write("out", "old content that is longer")
        let server = try NginxServer(root: dir.path + "/mirror")
        // The partial file is longer than the file: nginx answers 416, and the download starts over.
        let size = try Downloader(events: NullEventSink()).download(URL(string: server.baseURL + "/f")!, to: dest, resume: true)
        #expect(size == 11)
        #expect(try String(contentsOfFile: dest, encoding: .utf8) == "new content")
        #expect(server.requests().map(\.status) == [416, 200])
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A socket that listens but never accepts: the connection is queued, no answer ever comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try #require(bound && listen(fd, 4) == 0)
        let port = UInt16(bigEndian: addr.sin_port)
        let started = Date()
        do {
            try Downloader(events: NullEventSink(), idleTimeout: 1)
                .download(URL(string: "http://127.0.0.1:\(port)/f")!, to: dir.path + "/out", resume: false)
            Issue.record("a silent server delivered a file")
        } catch let failure as DownloadFailure {
            #expect(failure == .unreachable("timed out"))
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
