import CBuildArtifacts
import CBuildBasics
import CBuildState
import CBuildTestSupport
import Foundation
import Testing

@Suite struct SnapshotStoreTests {
    // MARK: fetching

    @Test func flavour4FetchFallsBackToTheDayBeforeWhenYesterdayIsMissing() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let server = try NginxServer(root: h.mirror.root)
        let store = h.snapshots(flavor: 4, mirrors: [server.baseURL])

        let outcome = try store.fetch(date: nil, role: "stable", insecure: false)

        #expect(outcome.ident == "20261123")
        #expect(outcome.downloaded && outcome.moved && outcome.previous == nil)
        #expect(outcome.verifiedBy == h.mirror.fingerprint)
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == "gentoo-20261123.xz.sqfs")
        let stored = h.root + "/artifacts/snapshots/gentoo-20261123.xz.sqfs"
        #expect(try ContentHasher.digestFile(at: stored, .sha512).hex
                == h.mirrorSHA512("snapshots/squashfs/gentoo-20261123.xz.sqfs"))
        // The signed list does not name today-1, so its file is never asked for.
        let asked = server.requests().map { "\($0.status) \($0.uri)" }
        #expect(!asked.contains { $0.contains("gentoo-20261124") })
        #expect(asked.contains("200 /snapshots/squashfs/gentoo-20261123.xz.sqfs"))
        let record = try #require(try h.database.artifact(path: "artifacts/snapshots/gentoo-20261123.xz.sqfs"))
        #expect(record.verifiedBy == h.mirror.fingerprint && !record.insecure && record.kind == "snapshot")
        let history = try store.history(role: "stable")
        #expect(history.map(\.newValue) == ["20261123"] && history[0].reason == "fetch" && history[0].actor == "tester@example")
        #expect(try h.lock().snapshots["stable"]?.file == "gentoo-20261123.xz.sqfs")
        #expect(h.partials().isEmpty)
    }

    @Test func flavour3AsksForYesterdayFirstThenTheDayBefore() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let server = try NginxServer(root: h.mirror.root)
        let outcome = try h.snapshots(flavor: 3, mirrors: [server.baseURL]).fetch(date: nil, role: "stable", insecure: false)
        #expect(outcome.ident == "20261123")
        let asked = server.requests().map { "\($0.status) \($0.uri)" }
        let missing = try #require(asked.firstIndex(of: "404 /snapshots/portage-20261124.tar.xz.gpgsig"))
        let found = try #require(asked.firstIndex(of: "200 /snapshots/portage-20261123.tar.xz"))
        #expect(missing < found)
        #expect(h.linkTarget("artifacts/snapshots/portage-stable.tar.xz") == "portage-20261123.tar.xz")
    }

    @Test func flavour3FromAFileMirrorChecksSignatureAndMD5() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 3)

        let outcome = try store.fetch(date: "20261122", role: "testing", insecure: false)

        #expect(outcome.file == "portage-20261122.tar.xz" && outcome.verifiedBy == h.mirror.fingerprint)
        #expect(outcome.source == h.mirror.fileURL + "/snapshots/portage-20261122.tar.xz")
        #expect(h.linkTarget("artifacts/snapshots/portage-testing.tar.xz") == "portage-20261122.tar.xz")
        let resolved = try store.resolve(role: "testing")
        #expect(resolved.ident == "20261122" && resolved.fileName == "portage-20261122.tar.xz")
        #expect(resolved.sha256 == (try ContentHasher.digestFile(at: h.mirror.path("snapshots/portage-20261122.tar.xz"))))
        #expect(h.partials().isEmpty)
    }

    @Test func aMirrorThatIsDownFailsOverToTheNext() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let server = try NginxServer(root: h.mirror.root)
        let down = "http://127.0.0.1:\(try NginxServer.closedPort())"
        let missing = "file://" + h.root + "/no-such-mirror"
        let store = h.snapshots(flavor: 4, mirrors: [missing, down, server.baseURL])

        let outcome = try store.fetch(date: nil, role: "stable", insecure: false)

        #expect(outcome.ident == "20261123")
        #expect(outcome.source?.hasPrefix(server.baseURL) == true)
        #expect(h.events.diagnostics.contains { $0.message.contains(down) && $0.message.contains("unreachable") })
        #expect(h.events.diagnostics.contains { $0.message.contains(missing) && $0.message.contains("does not exist") })
    }

    @Test func aMirrorThatLagsFailsOverToTheNext() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let lagging = try MirrorFixture()
        defer { lagging.remove() }
        try lagging.delete("snapshots/portage-20261123.tar.xz")
        try lagging.delete("snapshots/portage-20261123.tar.xz.gpgsig")
        try lagging.delete("snapshots/portage-20261123.tar.xz.md5sum")
        let first = try NginxServer(root: lagging.root)
        let second = try NginxServer(root: h.mirror.root)
        let store = h.snapshots(flavor: 3, mirrors: [first.baseURL, second.baseURL])

        let outcome = try store.fetch(date: "20261123", role: "stable", insecure: false)

        #expect(outcome.source == second.baseURL + "/snapshots/portage-20261123.tar.xz")
        #expect(first.requests().contains { $0.uri == "/snapshots/portage-20261123.tar.xz.gpgsig" && $0.status == 404 })
        #expect(second.requests().contains { $0.uri == "/snapshots/portage-20261123.tar.xz" && $0.status == 200 })
    }

    @Test func noMirrorHasTheDateIsAFetchFailureNamingEachMirror() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        let error = artifactError { _ = try store.fetch(date: "20261101", role: "stable", insecure: false) }
        guard case let .notFound(_, attempts)? = error else { Issue.record("expected notFound, got \(String(describing: error))"); return }
        #expect(error?.exitStatus == .nodeFailed)
        #expect(attempts.contains { $0.contains("does not list gentoo-20261101.xz.sqfs") })
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == nil)
    }

    @Test func anInterruptedDownloadResumesWithARangeRequest() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let server = try NginxServer(root: h.mirror.root, limitRate: "32k", limitRateAfter: "48k")
        let killer = KillOnProgress(fileSuffix: ".xz.sqfs", atBytes: 16 * 1024) { server.kill() }
        let first = h.snapshots(flavor: 4, mirrors: [server.baseURL], events: killer)

        let error = artifactError { _ = try first.fetch(date: "20261123", role: "stable", insecure: false) }
        #expect(error?.exitStatus == .nodeFailed)
        let partial = h.root + "/artifacts/.partial/gentoo-20261123.xz.sqfs"
        let kept = try #require(FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int64)
        let full = try #require(FileManager.default.attributesOfItem(atPath: h.mirror.path("snapshots/squashfs/gentoo-20261123.xz.sqfs"))[.size] as? Int64)
        #expect(kept > 0 && kept < full)

        try server.start() // back up, unthrottled, same port
        let outcome = try h.snapshots(flavor: 4, mirrors: [server.baseURL]).fetch(date: "20261123", role: "stable", insecure: false)

        #expect(outcome.ident == "20261123" && outcome.downloaded)
        let resumed = server.requests().filter { $0.uri == "/snapshots/squashfs/gentoo-20261123.xz.sqfs" }
        #expect(resumed.last?.status == 206)
        #expect(resumed.last?.range == "bytes=\(kept)-")
        #expect(resumed.last?.bodyBytes == full - kept)
        #expect(h.events.events.contains {
            if case let .downloadStarted(url, _, _, from) = $0 { return url.hasSuffix(".sqfs") && from == kept }
            return false
        })
        #expect(try ContentHasher.digestFile(at: outcome.path, .sha512).hex
                == h.mirrorSHA512("snapshots/squashfs/gentoo-20261123.xz.sqfs"))
    }

    @Test func anAlreadyPresentIntactFileIsNotDownloadedAgain() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let server = try NginxServer(root: h.mirror.root)
        let store = h.snapshots(flavor: 4, mirrors: [server.baseURL])
        _ = try store.fetch(date: "20261123", role: "testing", insecure: false)
        let before = server.requests().count

        let outcome = try store.fetch(date: "20261123", role: "stable", insecure: false)

        #expect(!outcome.downloaded && outcome.moved)
        #expect(server.requests().count == before)
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == "gentoo-20261123.xz.sqfs")
    }

    @Test func withoutADateARoleAlreadyAtTheNewestDayIsLeftAlone() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        _ = try store.fetch(date: nil, role: "stable", insecure: false)
        let again = try store.fetch(date: nil, role: "stable", insecure: false)
        #expect(again.ident == "20261123" && !again.moved && !again.downloaded)
        #expect(try store.history(role: "stable").count == 1)
    }

    @Test func plainHTTPIsRefusedUnlessAllowed() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4, mirrors: ["http://127.0.0.1:9"], allowHTTP: false)
        let error = artifactError { _ = try store.fetch(date: nil, role: "stable", insecure: false) }
        #expect(error == .httpNotAllowed("http://127.0.0.1:9"))
        #expect(error?.exitStatus == .usage)
        #expect(error?.hint?.contains("allow_http") == true)
    }

    // MARK: verification failures

    @Test func aBadSignatureIsRejectedAndNothingIsKept() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        // An attacker replaces the tarball and its md5sum, but cannot sign.
        let rel = "snapshots/portage-20261123.tar.xz"
        try h.mirror.corrupt(rel)
        let md5 = try ContentHasher.digestFile(at: h.mirror.path(rel), .md5).hex
        try "\(md5)  portage-20261123.tar.xz\n".write(toFile: h.mirror.path(rel + ".md5sum"), atomically: true, encoding: .utf8)
        let store = h.snapshots(flavor: 3)

        let error = artifactError { _ = try store.fetch(date: "20261123", role: "stable", insecure: false) }

        guard case let .verificationFailed(_, reason)? = error, case .badSignature = reason else {
            Issue.record("expected a bad signature, got \(String(describing: error))"); return
        }
        #expect(error?.exitStatus == .verification)
        #expect(h.partials().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.root + "/artifacts/snapshots/portage-20261123.tar.xz"))
        #expect(h.linkTarget("artifacts/snapshots/portage-stable.tar.xz") == nil)
        #expect(try store.history().isEmpty)
    }

    @Test func aSignatureByAnUnknownKeyIsRejected() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let stranger = try GPGFixture(name: "someone else")
        defer { stranger.remove() }
        let store = h.snapshots(flavor: 4, keyring: [stranger.publicKeyFile])

        let error = artifactError { _ = try store.fetch(date: "20261123", role: "stable", insecure: false) }

        guard case let .verificationFailed(_, .unknownKey(keyID))? = error else {
            Issue.record("expected unknown key, got \(String(describing: error))"); return
        }
        #expect(h.mirror.fingerprint.hasSuffix(keyID))
        #expect(error?.exitStatus == .verification)
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == nil)
    }

    @Test func aSignatureByAnExpiredKeyIsRejected() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let expired = try GPGFixture(name: "expired", expired: true)
        defer { expired.remove() }
        let rel = "snapshots/portage-20261123.tar.xz"
        try expired.detachSign(h.mirror.path(rel), output: h.mirror.path(rel + ".gpgsig"))
        let store = h.snapshots(flavor: 3, keyring: [h.mirror.keyFile, expired.publicKeyFile])

        let error = artifactError { _ = try store.fetch(date: "20261123", role: "stable", insecure: false) }

        guard case .verificationFailed(_, .expiredKey)? = error else {
            Issue.record("expected expired key, got \(String(describing: error))"); return
        }
        #expect(error?.exitStatus == .verification)
    }

    @Test func aWrongDigestIsRejected() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        try h.mirror.corrupt("snapshots/squashfs/gentoo-20261123.xz.sqfs")
        let store = h.snapshots(flavor: 4)

        let error = artifactError { _ = try store.fetch(date: nil, role: "stable", insecure: false) }

        guard case .verificationFailed(_, .digestMismatch(algorithm: .sha512, _, _))? = error else {
            Issue.record("expected a SHA512 mismatch, got \(String(describing: error))"); return
        }
        #expect(error?.exitStatus == .verification)
        #expect(h.partials().isEmpty)
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == nil)
        #expect(try h.database.artifacts(kind: "snapshot", name: "").isEmpty)
    }

    @Test func digestLinesOutsideTheSignedBlockAreIgnored() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        // A file for today-1 appears on the mirror, with a correct digest
        // line added around (not inside) the signed text.
        let dir = "snapshots/squashfs/"
        try FileManager.default.copyItem(atPath: h.mirror.path(dir + "gentoo-20261123.xz.sqfs"),
                                         toPath: h.mirror.path(dir + "gentoo-20261124.xz.sqfs"))
        let injected = "\(try h.mirrorSHA512(dir + "gentoo-20261124.xz.sqfs"))  gentoo-20261124.xz.sqfs\n"
        let signed = try String(contentsOfFile: h.mirror.path(dir + "sha512sum.txt"), encoding: .utf8)
        try (injected + signed + injected).write(toFile: h.mirror.path(dir + "sha512sum.txt"), atomically: true, encoding: .utf8)
        let store = h.snapshots(flavor: 4)

        let outcome = try store.fetch(date: nil, role: "stable", insecure: false)

        #expect(outcome.ident == "20261123")
        #expect(artifactError { _ = try store.fetch(date: "20261124", role: "next", insecure: false) }?.exitStatus == .nodeFailed)
    }

    @Test func insecureSkipsSignaturesButRecordsIt() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let stranger = try GPGFixture(name: "someone else")
        defer { stranger.remove() }
        let store = h.snapshots(flavor: 4, keyring: [stranger.publicKeyFile])

        let outcome = try store.fetch(date: "20261123", role: "stable", insecure: true)

        #expect(outcome.insecure && outcome.verifiedBy == nil)
        #expect(h.events.diagnostics.contains { $0.severity == .warning && $0.message.contains("NOT checked") })
        #expect(try h.database.artifact(path: "artifacts/snapshots/gentoo-20261123.xz.sqfs")?.insecure == true)
        #expect(try store.history(role: "stable").first?.note == "--insecure")
        // Digests are still checked under --insecure.
        try h.mirror.corrupt("snapshots/squashfs/gentoo-20261122.xz.sqfs")
        #expect(artifactError { _ = try store.fetch(date: "20261122", role: "old", insecure: true) }?.exitStatus == .verification)
    }

    // MARK: roles

    @Test func promoteMovesForwardAndRefusesToGoBack() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        _ = try store.fetch(date: "20261122", role: "stable", insecure: false)
        _ = try store.fetch(date: "20261123", role: "testing", insecure: false)

        let move = try store.promote(role: "stable", date: "20261123")
        #expect(move.from == "20261122" && move.to == "20261123")
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == "gentoo-20261123.xz.sqfs")
        #expect(try h.lock().snapshots["stable"]?.ident == "20261123")

        let back = artifactError { _ = try store.promote(role: "stable", date: "20261122") }
        #expect(back == .wouldMoveBackwards(kind: "snapshot", name: "", role: "stable", from: "20261123", to: "20261122"))
        #expect(back?.exitStatus == .usage && back?.hint?.contains("rollback") == true)
        #expect(h.linkTarget("artifacts/snapshots/gentoo-stable.sqfs") == "gentoo-20261123.xz.sqfs")

        let missing = artifactError { _ = try store.promote(role: "stable", date: "20261201") }
        #expect(missing == .notFetched(kind: "snapshot", name: "", ident: "20261201"))
    }

    @Test func rollbackReturnsToThePreviousValueAndIsRecorded() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 3)
        _ = try store.fetch(date: "20261122", role: "stable", insecure: false)
        _ = try store.fetch(date: "20261123", role: "stable", insecure: false)

        let move = try store.rollback(role: "stable", to: nil)

        #expect(move.from == "20261123" && move.to == "20261122" && move.reason == "rollback")
        #expect(h.linkTarget("artifacts/snapshots/portage-stable.tar.xz") == "portage-20261122.tar.xz")
        #expect(try store.history(role: "stable").map(\.reason) == ["rollback", "fetch", "fetch"])
        #expect(try h.lock().snapshots["stable"]?.ident == "20261122")
        // Nothing earlier than the first fetch.
        #expect(artifactError { _ = try store.rollback(role: "stable", to: nil) }
                == .noEarlierValue(kind: "snapshot", name: "", role: "stable"))
        // A named date newer than the role is a promote, not a rollback.
        #expect(artifactError { _ = try store.rollback(role: "stable", to: "20261123") }?.hint?.contains("promote") == true)
    }

    @Test func aRoleThatPointsNowhereIsAUsageErrorNamingTheRole() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        let error = artifactError { _ = try store.resolve(role: "stable") }
        #expect(error == .roleUnset(kind: "snapshot", name: "", role: "stable"))
        #expect(error?.exitStatus == .usage)
        #expect(error?.hint == "run `cbuild snapshot fetch --role stable`")
        #expect(artifactError { _ = try store.fetch(date: nil, role: "20261123", insecure: false) } == .invalidRole("20261123"))
    }

    @Test func pruneKeepsTheNewestAndEverythingInUse() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        _ = try store.fetch(date: "20261122", role: "stable", insecure: false)
        _ = try store.fetch(date: "20261123", role: "testing", insecure: false)
        // A third, older file nobody uses.
        let old = h.root + "/artifacts/snapshots/gentoo-20261101.xz.sqfs"
        try Data("old".utf8).write(to: URL(fileURLWithPath: old))

        let dry = try store.prune(keep: 1, dryRun: true)
        #expect(dry.map(\.ident) == ["20261101"])
        #expect(FileManager.default.fileExists(atPath: old))

        let removed = try store.prune(keep: 0, protecting: [])
        #expect(removed.map(\.ident) == ["20261101"]) // the other two are used by roles and the lock
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(try store.list().map(\.ident) == ["20261123", "20261122"])
        #expect(try store.list().map(\.roles) == [["testing"], ["stable"]])
    }

    @Test func verifyFindsAModifiedFile() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        let outcome = try store.fetch(date: "20261123", role: "stable", insecure: false)
        #expect(try store.verify().map(\.status) == [.intact])

        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: outcome.path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([0x42, 0x42, 0x42]))
        try handle.close()

        let results = try store.verify()
        #expect(results.count == 1 && results[0].isProblem)
    }

    // MARK: the lock file

    @Test func aFreshCloneFetchesExactlyTheLockedFiles() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 4)
        _ = try store.fetch(date: "20261122", role: "stable", insecure: false)
        _ = try store.fetch(date: "20261123", role: "testing", insecure: false)
        let lockText = try String(contentsOfFile: h.root + "/cbuild.lock", encoding: .utf8)

        // The clone: only the committed files, a new state database.
        let clone = try TemporaryDirectory(prefix: "cbuild-clone")
        defer { clone.remove() }
        try clone.write("cbuild.lock", lockText)
        let cloneDB = try StateDatabase.open(at: clone.path + "/.cache/state.db").0
        let cloneStore = SnapshotStore(
            root: clone.path, flavor: 4,
            settings: MirrorSettings(mirrors: [h.mirror.fileURL], keyring: [h.mirror.keyFile], maxAgeDays: 3,
                                     allowHTTP: false, systemKeyFile: nil),
            database: cloneDB, runner: SystemProcessRunner(), events: NullEventSink(),
            now: { MirrorFixture.now.addingTimeInterval(30 * 86_400) }, actor: "ci@example")

        let outcomes = try cloneStore.fetchLocked(lock: try LockFile.read(at: clone.path + "/cbuild.lock"), insecure: false)

        #expect(outcomes.map(\.role) == ["stable", "testing"] && outcomes.allSatisfy(\.downloaded))
        #expect(try cloneStore.resolve(role: "stable").sha256 == (try store.resolve(role: "stable").sha256))
        #expect(try cloneStore.resolve(role: "testing").ident == "20261123")
        #expect(try String(contentsOfFile: clone.path + "/cbuild.lock", encoding: .utf8) == lockText)
        #expect(try cloneStore.history().allSatisfy { $0.reason == "locked" })
    }

    @Test func aLockedFetchRefusesContentThatDiffersFromTheLock() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.snapshots(flavor: 3)
        _ = try store.fetch(date: "20261123", role: "stable", insecure: false)
        var lock = try h.lock()
        lock.snapshots["stable"]!.sha512 = String(repeating: "ab", count: 64)

        let clone = try TemporaryDirectory(prefix: "cbuild-clone")
        defer { clone.remove() }
        let cloneStore = SnapshotStore(
            root: clone.path, flavor: 3,
            settings: MirrorSettings(mirrors: [h.mirror.fileURL], keyring: [h.mirror.keyFile], maxAgeDays: 3,
                                     allowHTTP: false, systemKeyFile: nil),
            database: try StateDatabase(), runner: SystemProcessRunner(), events: NullEventSink(),
            now: { MirrorFixture.now }, actor: "ci@example")

        let error = artifactError { _ = try cloneStore.fetchLocked(lock: lock, insecure: false) }

        guard case .lockMismatch? = error else { Issue.record("expected a lock mismatch, got \(String(describing: error))"); return }
        #expect(error?.exitStatus == .verification)
        #expect(!FileManager.default.fileExists(atPath: clone.path + "/artifacts/snapshots/portage-20261123.tar.xz"))
    }
}

/// Kills the server as soon as a download of a matching file has made progress.
final class KillOnProgress: EventSink, @unchecked Sendable {
    let fileSuffix: String
    let atBytes: Int64
    let action: @Sendable () -> Void
    private let lock = NSLock()
    private var fired = false

    init(fileSuffix: String, atBytes: Int64, action: @escaping @Sendable () -> Void) {
        self.fileSuffix = fileSuffix
        self.atBytes = atBytes
        self.action = action
    }

    func emit(_ event: Event) {
        guard case let .downloadProgress(url, bytes, _) = event, url.hasSuffix(fileSuffix), bytes >= atBytes else { return }
        lock.lock()
        let first = !fired
        fired = true
        lock.unlock()
        if first { action() }
    }
}
