import CBuildBasics
import CBuildGraph
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildCache

/// The cache protocol end to end against nginx WebDAV: a push from one
/// directory is installed in another byte for byte; corrupt blobs, bad or
/// missing signatures and unsafe records are refused with one warning that
/// names the entry; a cache that is down or silent costs one warning.
@Suite struct RemoteCacheTests {
    static let hmac = Array("a shared secret of 32+ bytes.....".utf8)
    let key = "sha256:" + String(repeating: "ab", count: 32)

    /// A build directory with a stage tarball and its `.DIGESTS`, as catalyst leaves them.
    struct Built {
        let dir: TemporaryDirectory
        let outputs: [NodeOutput]
    }

    func built(_ content: String = "stage tarball bytes\n") throws -> Built {
        let dir = try TemporaryDirectory(prefix: "cbuild-cacheroot")
        var outputs: [NodeOutput] = []
        for (path, text) in [("artifacts/builds/vm/stage4-amd64-vm-test-1.tar.xz", content + String(repeating: "x", count: 300_000)),
                             ("artifacts/builds/vm/stage4-amd64-vm-test-1.tar.xz.DIGESTS", "# SHA512 HASH\n")] {
            let full = try dir.write(path, text)
            outputs.append(NodeOutput(path: path, sha256: try ContentHasher.digestFile(at: full).description,
                                      size: Int64(text.utf8.count)))
        }
        return Built(dir: dir, outputs: outputs)
    }

    func cache(_ root: String, _ server: WebDAVServer, push: Bool = true, key: [UInt8] = RemoteCacheTests.hmac,
               timeout: TimeInterval = 5, events: any EventSink, token: String? = nil) throws -> RemoteCache {
        try RemoteCache(root: root, settings: .init(remote: server.baseURL, push: push, token: token, signing: .hmac(key: key),
                                                    timeout: timeout, builtBy: "alice@builder1"), events: events)
    }

    func warnings(_ sink: CollectingEventSink) -> [String] {
        sink.diagnostics.filter { $0.severity == .warning }.map(\.message)
    }

    @Test func aPushFromOneDirectoryIsInstalledInAnother() async throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try built(); defer { a.dir.remove() }
        let pushEvents = CollectingEventSink()
        let pusher = try cache(a.dir.path, server, events: pushEvents); defer { pusher.close() }
        await pusher.push(node: "stage4/vm/test", key: key, recipe: "catalyst-stage@1",
                          inputs: [NodeInput(name: "spec", digest: "sha256:11", display: "x")], outputs: a.outputs, duration: 12)
        #expect(warnings(pushEvents).isEmpty, "\(warnings(pushEvents))")
        #expect(server.entries("ac") == ["ac/" + String(repeating: "ab", count: 32)])
        #expect(server.entries("cas").count == 2)
        // Blobs first, the record last: the record is the commit point.
        let puts = server.requests().filter { $0.method == "PUT" }.map(\.uri)
        #expect(puts.count == 3 && puts.last!.hasPrefix("/ac/"), "\(puts)")
        #expect(pushEvents.events.contains { if case .uploadFinished = $0 { return true } else { return false } })

        let b = try TemporaryDirectory(prefix: "cbuild-cacheroot"); defer { b.remove() }
        let events = CollectingEventSink()
        let reader = try cache(b.path, server, push: false, events: events); defer { reader.close() }
        let hit = try #require(await reader.lookup(node: "stage4/vm/test", key: key))
        #expect(hit.outputs == a.outputs)
        #expect(hit.builtBy == "alice@builder1")
        #expect(hit.entry == server.baseURL + "/ac/" + String(repeating: "ab", count: 32))
        #expect(await reader.install(hit, node: "stage4/vm/test"))
        for o in a.outputs {
            #expect(FileManager.default.contentsEqual(atPath: a.dir.path + "/" + o.path, andPath: b.path + "/" + o.path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.path + "/artifacts/builds/vm").count == 2, "no temp files left")
        #expect(events.events.contains { if case .downloadFinished = $0 { return true } else { return false } })
        #expect(warnings(events).isEmpty)

        // A second push of the same outputs uploads only the record.
        let before = server.requests().filter { $0.method == "PUT" }.count
        await pusher.push(node: "stage4/vm/test", key: key, recipe: "catalyst-stage@1", inputs: [], outputs: a.outputs, duration: 1)
        #expect(server.requests().filter { $0.method == "PUT" }.count == before + 1)
    }

    @Test func aMissIsQuiet() async throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let events = CollectingEventSink()
        let c = try cache("/nonexistent", server, events: events); defer { c.close() }
        #expect(await c.lookup(node: "stage4/x", key: key) == nil)
        #expect(events.diagnostics.isEmpty)
    }

    @Test func aCorruptBlobIsDiscardedWithOneWarningAndRepairedByTheNextPush() async throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try built(); defer { a.dir.remove() }
        let pusher = try cache(a.dir.path, server, events: NullEventSink()); defer { pusher.close() }
        await pusher.push(node: "stage4/vm/test", key: key, recipe: "r@1", inputs: [], outputs: a.outputs, duration: 1)
        let tarballHex = ActionRecord.casHex(a.outputs[0].sha256)!
        let blob = server.store + "/cas/" + tarballHex
        var bytes = [UInt8](FileManager.default.contents(atPath: blob)!)
        bytes[100] ^= 0xff
        _ = FileManager.default.createFile(atPath: blob, contents: Data(bytes))

        let b = try TemporaryDirectory(prefix: "cbuild-cacheroot"); defer { b.remove() }
        let events = CollectingEventSink()
        let reader = try cache(b.path, server, events: events); defer { reader.close() }
        let hit = try #require(await reader.lookup(node: "stage4/vm/test", key: key))
        #expect(await reader.install(hit, node: "stage4/vm/test") == false)
        #expect(!FileManager.default.fileExists(atPath: b.path + "/" + a.outputs[0].path))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: b.path + "/artifacts/builds/vm")) ?? []
        #expect(left.isEmpty, "nothing of a failed install stays: \(left)")
        #expect(warnings(events).count == 1)
        #expect(warnings(events).first?.contains("cas/\(tarballHex)") == true, "\(warnings(events))")
        #expect(warnings(events).first?.contains("corrupt") == true)

        // The node is then built locally and pushed: the corrupt blob is replaced.
        let rebuilt = try built(); defer { rebuilt.dir.remove() }
        let repairer = try cache(rebuilt.dir.path, server, events: NullEventSink()); defer { repairer.close() }
        _ = await repairer.install(hit, node: "stage4/vm/test")   // learns the blob is corrupt
        await repairer.push(node: "stage4/vm/test", key: key, recipe: "r@1", inputs: [], outputs: rebuilt.outputs, duration: 1)
        #expect(try ContentHasher.digestFile(at: blob).description == a.outputs[0].sha256)
    }

    @Test func recordsWithABadSignatureOrNoneAreIgnoredNamingTheEntry() async throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let a = try built(); defer { a.dir.remove() }
        let impostor = try cache(a.dir.path, server, key: Array("the wrong key, but long enough!!".utf8), events: NullEventSink())
        defer { impostor.close() }
        await impostor.push(node: "stage4/vm/test", key: key, recipe: "r@1", inputs: [], outputs: a.outputs, duration: 1)

        let events = CollectingEventSink()
        let reader = try cache("/nonexistent", server, events: events); defer { reader.close() }
        #expect(await reader.lookup(node: "stage4/vm/test", key: key) == nil)
        #expect(warnings(events).count == 1)
        #expect(warnings(events).first?.contains("ac/" + String(repeating: "ab", count: 32)) == true, "\(warnings(events))")
        #expect(warnings(events).first?.contains("bad signature") == true, "\(warnings(events))")

        // Unsigned: the record alone.
        let entry = server.store + "/ac/" + String(repeating: "ab", count: 32)
        let signed = try RecordEnvelope.decode([UInt8](FileManager.default.contents(atPath: entry)!))
        _ = FileManager.default.createFile(atPath: entry, contents: Data(try RecordEnvelope(record: signed.record).encoded()))
        let events2 = CollectingEventSink()
        let reader2 = try cache("/nonexistent", server, events: events2); defer { reader2.close() }
        #expect(await reader2.lookup(node: "stage4/vm/test", key: key) == nil)
        #expect(warnings(events2).first?.contains("unsigned") == true, "\(warnings(events2))")
    }

    @Test func aSignedRecordForAnotherKeyOrWithAnEscapingPathIsRefused() async throws {
        let server = try WebDAVServer(); defer { server.stop() }
        let signer = RecordSigner(signing: .hmac(key: Self.hmac), trust: [], workDirectory: "/tmp")
        let good = NodeOutput(path: "artifacts/builds/a.tar.xz", sha256: "sha256:" + String(repeating: "cd", count: 32), size: 1)
        let otherKey = "sha256:" + String(repeating: "ef", count: 32)
        let cases: [(String, [NodeOutput], String)] = [
            (otherKey, [good], "not \(key)"),
            (key, [NodeOutput(path: "artifacts/../../etc/x", sha256: good.sha256, size: 1)], "'..'"),
            (key, [NodeOutput(path: "etc/cron.d/x", sha256: good.sha256, size: 1)], "not a file under artifacts/"),
            (key, [NodeOutput(path: "/etc/passwd", sha256: good.sha256, size: 1)], "absolute"),
        ]
        for (recordKey, outputs, why) in cases {
            let record = ActionRecord(node: "stage4/x", key: recordKey, recipe: "r@1", outputs: outputs, inputs: [],
                                      builtBy: "mallory@x", builtAt: Date(), duration: 1, cbuildVersion: "0")
            let transport = try SocketHTTPTransport(base: server.baseURL, token: nil, timeout: 5)
            try transport.put("ac/" + ActionRecord.casHex(key)!, body: try signer.sign(try record.encoded()).encoded())
            let events = CollectingEventSink()
            let reader = try cache("/nonexistent", server, events: events); defer { reader.close() }
            #expect(await reader.lookup(node: "stage4/x", key: key) == nil, "\(why)")
            #expect(warnings(events).first?.contains(why) == true, "\(warnings(events))")
        }
    }

    @Test func aStoppedServerCostsOneWarningAndNothingElse() async throws {
        let server = try WebDAVServer()
        let a = try built(); defer { a.dir.remove() }
        server.stop()
        let events = CollectingEventSink()
        let c = try cache(a.dir.path, server, events: events); defer { c.close() }
        #expect(await c.lookup(node: "stage4/a", key: key) == nil)
        #expect(await c.lookup(node: "stage4/b", key: key) == nil)
        await c.push(node: "stage4/a", key: key, recipe: "r@1", inputs: [], outputs: a.outputs, duration: 1)
        #expect(c.isDown)
        #expect(warnings(events).count == 1, "\(warnings(events))")
        #expect(warnings(events).first?.contains(server.baseURL) == true)
    }

    @Test func aSilentServerTimesOutOnceWithOneWarning() async throws {
        let (fd, port) = try LoopbackPort.silentListener(); defer { close(fd) }
        let events = CollectingEventSink()
        let c = try RemoteCache(root: "/nonexistent", settings: .init(remote: "http://127.0.0.1:\(port)", signing: .hmac(key: Self.hmac),
                                                                      timeout: 0.5), events: events)
        defer { c.close() }
        let start = Date()
        #expect(await c.lookup(node: "stage4/a", key: key) == nil)
        #expect(await c.lookup(node: "stage4/b", key: key) == nil)
        #expect(Date().timeIntervalSince(start) < 3, "the second lookup does not wait again")
        #expect(warnings(events).count == 1)
        #expect(warnings(events).first?.contains("timed out") == true, "\(warnings(events))")
    }

    @Test func aWrongTokenIsOneWarning() async throws {
        let server = try WebDAVServer(token: "right"); defer { server.stop() }
        let events = CollectingEventSink()
        let c = try cache("/nonexistent", server, events: events, token: "wrong"); defer { c.close() }
        #expect(await c.lookup(node: "stage4/a", key: key) == nil)
        #expect(await c.lookup(node: "stage4/b", key: key) == nil)
        #expect(warnings(events).count == 1)
        #expect(warnings(events).first?.contains("HTTP 401") == true, "\(warnings(events))")
    }
}
