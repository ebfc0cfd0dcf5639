import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildCache

/// Response framings nginx never sends but other servers (bazel-remote's
/// Go HTTP stack, proxies) may: chunked bodies, interim 1xx answers, bodies
/// ended by close, and answers cut short. A real socket serves one canned
/// response per test.
@Suite struct SocketHTTPTransportTests {
    /// Accepts one connection on 127.0.0.1, reads the request head, writes
    /// `response` and closes.
    final class CannedServer: @unchecked Sendable {
        let port: Int
        private let fd: Int32
        private let done = DispatchSemaphore(value: 0)
        private(set) var request = ""

        init(_ response: String) throws {
            (fd, port) = try LoopbackPort.silentListener()
            let listener = fd
            Thread.detachNewThread { [self] in
                let c = accept(listener, nil, nil)
                var got: [UInt8] = []
                var buf = [UInt8](repeating: 0, count: 4096)
                while !String(decoding: got, as: UTF8.self).contains("\r\n\r\n") {
                    let n = read(c, &buf, buf.count)
                    if n <= 0 { break }
                    got += buf[0..<n]
                }
                request = String(decoding: got, as: UTF8.self)
                let bytes = Array(response.utf8)
                _ = bytes.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
                close(c)
                done.signal()
            }
        }

        private var finished = false
        /// Waits for the answer to be sent and closes the listener (once).
        func finish() {
            guard !finished else { return }
            finished = true
            _ = done.wait(timeout: .now() + 5)
            close(fd)
        }
    }

    func get(_ response: String) throws -> ([UInt8]?, String) {
        let server = try CannedServer(response)
        defer { server.finish() }
        let t = try SocketHTTPTransport(base: "http://127.0.0.1:\(server.port)/pool", token: "tok", timeout: 5)
        let body = try t.get("ac/k", limit: 1000)
        server.finish()
        return (body, server.request)
    }

    @Test func theRequestCarriesPathHostAndToken() throws {
        let (_, request) = try get("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        #expect(request.hasPrefix("GET /pool/ac/k HTTP/1.1\r\n"), "\(request)")
        #expect(request.contains("\r\nAuthorization: Bearer tok\r\n"))
        #expect(request.contains("\r\nConnection: close\r\n"))
    }

    @Test func chunkedBodiesWithExtensionsAndTrailersAreJoined() throws {
        let (body, _) = try get("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\n")
        #expect(body == Array("hello, world".utf8))
    }

    @Test func interimAnswersAreSkipped() throws {
        let (body, _) = try get("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(body == Array("ok".utf8))
    }

    @Test func aBodyEndedByCloseIsRead() throws {
        let (body, _) = try get("HTTP/1.0 200 OK\r\n\r\nuntil the end")
        #expect(body == Array("until the end".utf8))
    }

    @Test func aBodyCutShortIsALostConnection() throws {
        #expect(throws: TransportError.connectionLost("ended after 3 of 10 bytes")) {
            try get("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        }
    }

    @Test func anUploadTheServerRefusesUpFrontSendsNoBody() throws {
        let server = try CannedServer("HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\n\r\n")
        defer { server.finish() }
        let dir = try TemporaryDirectory(prefix: "cbuild-upload"); defer { dir.remove() }
        let file = try dir.write("big", String(repeating: "x", count: 1 << 20))
        let t = try SocketHTTPTransport(base: "http://127.0.0.1:\(server.port)", token: nil, timeout: 5)
        var sent: [Int64] = []
        #expect(throws: TransportError.httpStatus(413)) { try t.upload("cas/x", file: file) { sent.append($0) } }
        #expect(sent.isEmpty, "no body byte is sent after a refusal")
        server.finish()
        #expect(server.request.contains("\r\nExpect: 100-continue\r\n"), "\(server.request)")
        #expect(server.request.contains("\r\nContent-Length: 1048576\r\n"))
    }

    @Test func garbageIsAMalformedResponse() throws {
        do {
            _ = try get("SSH-2.0-OpenSSH_9.2\r\n\r\n")
            Issue.record("garbage parsed")
        } catch let error as TransportError {
            guard case .malformedResponse = error else { Issue.record("\(error)"); return }
            #expect(error.isOutage)
        }
    }
}
