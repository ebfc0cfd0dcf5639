import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildCache

/// Both transports against a real nginx WebDAV server: what is PUT comes
/// back byte for byte with its digest, absent entries are nil, and a server
/// that is gone or silent is an outage within the timeout.
@Suite struct CacheTransportTests {
    enum Kind: String, CaseIterable { case socket, urlSession }

    func transport(_ kind: Kind, _ base: String, token: String? = nil, timeout: TimeInterval = 5) throws -> any CacheTransport {
        switch kind {
        case .socket: return try SocketHTTPTransport(base: base, token: token, timeout: timeout)
        case .urlSession: return URLSessionTransport(base: base, token: token, timeout: timeout)
        }
    }

    /// A file of `size` pseudo-random bytes (different per seed).
    func randomFile(_ dir: TemporaryDirectory, _ name: String, size: Int, seed: UInt64) throws -> String {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        var bytes = [UInt8](repeating: 0, count: size)
        for i in 0..<size {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        let path = dir.path + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test(arguments: Kind.allCases)
    func uploadedFilesComeBackWithTheirDigest(_ kind: Kind) throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let dir = try TemporaryDirectory(prefix: "cbuild-transport"); defer { dir.remove() }
        let t = try transport(kind, server.baseURL)
        for (i, size) in [0, 1, 3 * (1 << 20) + 17].enumerated() {
            let file = try randomFile(dir, "f\(i)", size: size, seed: UInt64(i + 1))
            let expected = try ContentHasher.digestFile(at: file)
            var sent: [Int64] = []
            try t.upload("cas/\(expected.hex)", file: file) { sent.append($0) }
            #expect(sent.last == Int64(size))
            #expect(try t.head("cas/\(expected.hex)") == Int64(size))
            let out = dir.path + "/out\(i)"
            let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var seen: [Int64] = []
            let got = try t.download("cas/\(expected.hex)", into: fd) { bytes, _ in seen.append(bytes) }
            close(fd)
            #expect(got?.bytes == Int64(size))
            #expect(got?.sha256 == expected)
            #expect(seen.last == Int64(size))
            #expect(FileManager.default.contentsEqual(atPath: file, andPath: out))
        }
    }

    @Test(arguments: Kind.allCases)
    func smallBodiesRoundTripAndAbsentEntriesAreNil(_ kind: Kind) throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let t = try transport(kind, server.baseURL)
        #expect(try t.get("ac/nothing", limit: 100) == nil)
        #expect(try t.head("cas/nothing") == nil)
        let fd = open("/dev/null", O_WRONLY)
        defer { close(fd) }
        #expect(try t.download("cas/nothing", into: fd) { _, _ in } == nil)
        try t.put("ac/abc", body: Array("{\"record\":\"x\"}\n".utf8))
        #expect(try t.get("ac/abc", limit: 100) == Array("{\"record\":\"x\"}\n".utf8))
        #expect(throws: TransportError.self) { try t.get("ac/abc", limit: 4) }
        try t.put("ac/abc", body: Array("second".utf8))
        #expect(try t.get("ac/abc", limit: 100) == Array("second".utf8), "a PUT replaces the entry")
    }

    @Test(arguments: Kind.allCases)
    func theBearerTokenIsSentAndAWrongOneIsRefused(_ kind: Kind) throws {
        let server = try WebDAVServer(token: "s3cret-token"); defer { server.stop() }
        let good = try transport(kind, server.baseURL, token: "s3cret-token")
        try good.put("ac/k", body: [1, 2, 3])
        #expect(try good.get("ac/k", limit: 10) == [1, 2, 3])
        let bad = try transport(kind, server.baseURL, token: "wrong")
        #expect(throws: TransportError.httpStatus(401)) { try bad.get("ac/k", limit: 10) }
        let none = try transport(kind, server.baseURL)
        #expect(throws: TransportError.httpStatus(401)) { try none.put("ac/k", body: [9]) }
    }

    @Test(arguments: Kind.allCases)
    func aStoppedServerIsUnreachable(_ kind: Kind) throws {
        let server = try WebDAVServer()
        let base = server.baseURL
        server.stop()
        let t = try transport(kind, base)
        do {
            _ = try t.get("ac/k", limit: 10)
            Issue.record("a stopped server answered")
        } catch {
            #expect(error.isOutage, "\(error)")
        }
    }

    @Test(arguments: Kind.allCases)
    func aServerThatNeverAnswersTimesOut(_ kind: Kind) throws {
        let (fd, port) = try LoopbackPort.silentListener(); defer { close(fd) }
        let t = try transport(kind, "http://127.0.0.1:\(port)", timeout: 0.5)
        let start = Date()
        do {
            _ = try t.get("ac/k", limit: 10)
            Issue.record("a silent server answered")
        } catch {
            #expect(error == .timedOut, "\(error)")
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func aBasePathIsKept() throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let t = try SocketHTTPTransport(base: server.baseURL + "/team/", token: nil, timeout: 5)
        try t.put("ac/k", body: [7])
        #expect(FileManager.default.fileExists(atPath: server.store + "/team/ac/k"))
        // nginx writes its access log after the response: give it a moment.
        for _ in 0..<40 where server.requests().isEmpty { usleep(50_000) }
        #expect(server.requests().last?.uri == "/team/ac/k")
    }
}
