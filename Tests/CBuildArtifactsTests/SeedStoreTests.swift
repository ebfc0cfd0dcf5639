import CBuildArtifacts
import CBuildBasics
import CBuildState
import CBuildTestSupport
import Foundation
import Testing

@Suite struct SeedStoreTests {
    @Test func fetchTakesThePathFromTheSignedListingAndVerifiesTheStage() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let server = try NginxServer(root: h.mirror.root)
        let store = h.seeds(mirrors: [server.baseURL])

        let outcome = try store.fetch(name: "amd64-openrc", role: "stable", insecure: false)

        #expect(outcome.ident == MirrorFixture.seedIdent)
        #expect(outcome.file == "stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz")
        #expect(outcome.verifiedBy == h.mirror.fingerprint)
        #expect(h.linkTarget("artifacts/builds/seeds/amd64-openrc-stable.tar.xz") == outcome.file)
        #expect(try ContentHasher.digestFile(at: outcome.path, .sha512).hex == h.mirrorSHA512(h.mirror.seedPath))
        let uris = server.requests().map(\.uri)
        #expect(uris.contains("/" + h.mirror.seedPath + ".asc") && uris.contains("/" + h.mirror.seedPath + ".DIGESTS"))
        let locked = try #require(try h.lock().seeds["amd64-openrc"]?["stable"])
        #expect(locked.source == "\(MirrorFixture.seedIdent)/stage3-amd64-openrc-\(MirrorFixture.seedIdent).tar.xz")
        #expect(try store.resolve(name: "amd64-openrc", role: "stable").ident == MirrorFixture.seedIdent)
        #expect(h.partials().isEmpty)
    }

    @Test func aTruncatedStageIsRejected() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        try h.mirror.truncate(h.mirror.seedPath, to: 10_000)
        let store = h.seeds()

        let error = artifactError { _ = try store.fetch(name: "amd64-openrc", role: "stable", insecure: false) }

        guard case .verificationFailed(_, .truncated(_, actual: 10_000))? = error else {
            Issue.record("expected truncated, got \(String(describing: error))"); return
        }
        #expect(error?.exitStatus == .verification)
        #expect(h.partials().isEmpty)
        #expect(h.linkTarget("artifacts/builds/seeds/amd64-openrc-stable.tar.xz") == nil)
    }

    @Test func aListingNamingAParentDirectoryIsRefused() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        try h.mirror.writeClearsigned(h.mirror.listingPath, "# Latest\n../../../etc/stage3-amd64-openrc-20261123T170000Z.tar.xz 1234\n")
        let error = artifactError { _ = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false) }
        guard case let .unsafeListingPath(_, line, path, _)? = error else {
            Issue.record("expected an unsafe path, got \(String(describing: error))"); return
        }
        #expect(line == 2 && path.hasPrefix("../"))
        #expect(error?.exitStatus == .usage)
        #expect(error?.location?.line == 2)
    }

    @Test func aListingNamingAnAbsolutePathIsRefused() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        try h.mirror.writeClearsigned(h.mirror.listingPath, "/srv/stage3-amd64-openrc-20261123T170000Z.tar.xz 1234\n")
        let error = artifactError { _ = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false) }
        guard case .unsafeListingPath? = error else { Issue.record("expected an unsafe path, got \(String(describing: error))"); return }
        #expect(error?.exitStatus == .usage)
    }

    @Test func linesOutsideTheSignedListingAndDigestsAreIgnored() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        // Unsigned text around the signed listing names another file; unsigned
        // text around the signed DIGESTS gives a wrong digest.
        let listing = try String(contentsOfFile: h.mirror.path(h.mirror.listingPath), encoding: .utf8)
        try ("../../evil/stage3-amd64-openrc-20991231T000000Z.tar.xz 99\n" + listing + "/etc/passwd 1\n")
            .write(toFile: h.mirror.path(h.mirror.listingPath), atomically: true, encoding: .utf8)
        let digestsPath = h.mirror.path(h.mirror.seedPath + ".DIGESTS")
        let digests = try String(contentsOfFile: digestsPath, encoding: .utf8)
        let base = (h.mirror.seedPath as NSString).lastPathComponent
        try ("# SHA512 HASH\n\(String(repeating: "0", count: 128))  \(base)\n" + digests)
            .write(toFile: digestsPath, atomically: true, encoding: .utf8)

        let outcome = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false)

        #expect(outcome.ident == MirrorFixture.seedIdent)
    }

    @Test func aDigestsFileThatDisagreesIsRejected() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let base = (h.mirror.seedPath as NSString).lastPathComponent
        let sha512 = try h.mirrorSHA512(h.mirror.seedPath)
        // Signed by the mirror's key, but the BLAKE2B line is wrong.
        try h.mirror.writeClearsigned(h.mirror.seedPath + ".DIGESTS",
            "# BLAKE2B HASH\n\(String(repeating: "1", count: 128))  \(base)\n# SHA512 HASH\n\(sha512)  \(base)\n")
        let error = artifactError { _ = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false) }
        guard case .verificationFailed(_, .digestMismatch(algorithm: .blake2b512, _, _))? = error else {
            Issue.record("expected a BLAKE2B mismatch, got \(String(describing: error))"); return
        }
        // Both algorithms are required: a list with SHA512 only is not enough.
        try h.mirror.writeClearsigned(h.mirror.seedPath + ".DIGESTS", "# SHA512 HASH\n\(sha512)  \(base)\n")
        let missing = artifactError { _ = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false) }
        guard case .verificationFailed(_, .digestMissing)? = missing else {
            Issue.record("expected a missing digest, got \(String(describing: missing))"); return
        }
        #expect(missing?.exitStatus == .verification)
    }

    @Test func aStageSignedByAnotherKeyIsRejected() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        // The detached signature replaced by one from a key not in the keyring.
        let stranger = try GPGFixture(name: "someone else")
        defer { stranger.remove() }
        try stranger.detachSign(h.mirror.path(h.mirror.seedPath), output: h.mirror.path(h.mirror.seedPath + ".asc"))
        let error = artifactError { _ = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false) }
        guard case .verificationFailed(_, .unknownKey)? = error else {
            Issue.record("expected unknown key, got \(String(describing: error))"); return
        }
    }

    @Test func rolesMoveLikeSnapshotRoles() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let store = h.seeds()
        _ = try store.fetch(name: "amd64-openrc", role: "testing", insecure: false)
        let move = try store.promote(name: "amd64-openrc", role: "stable", to: MirrorFixture.seedIdent)
        #expect(move.from == nil && move.to == MirrorFixture.seedIdent)
        #expect(try store.list(name: "amd64-openrc").first?.roles == ["stable", "testing"])
        let older = artifactError { _ = try store.promote(name: "amd64-openrc", role: "stable", to: "20261001T170000Z") }
        #expect(older == .notFetched(kind: "seed", name: "amd64-openrc", ident: "20261001T170000Z"))
        #expect(try store.prune(keep: 0).isEmpty)
        #expect(try store.verify().map(\.status) == [.intact])
        // A second fetch finds the listing unchanged: nothing moves, nothing is downloaded.
        let again = try store.fetch(name: "amd64-openrc", role: "testing", insecure: false)
        #expect(!again.moved && !again.downloaded)
    }

    @Test func anUnknownSeedNameSuggestsTheClosest() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        let error = artifactError { _ = try h.seeds().fetch(name: "amd64-openrx", role: "stable", insecure: false) }
        #expect(error == .unknownSeed("amd64-openrx", suggestion: "did you mean 'amd64-openrc'?"))
        #expect(error?.exitStatus == .usage)
        let unset = artifactError { _ = try h.seeds().resolve(name: "amd64-openrc", role: "stable") }
        #expect(unset?.hint == "run `cbuild seed fetch amd64-openrc --role stable`")
    }

    @Test func aFreshCloneFetchesTheLockedSeed() throws {
        let h = try ArtifactHarness()
        defer { h.remove() }
        _ = try h.seeds().fetch(name: "amd64-openrc", role: "stable", insecure: false)
        let lock = try h.lock()

        let clone = try TemporaryDirectory(prefix: "cbuild-clone")
        defer { clone.remove() }
        let seed = SeedSettings(name: "amd64-openrc", arch: "amd64", variant: "openrc", mirrors: [h.mirror.fileURL],
                                keyring: [h.mirror.keyFile], systemKeyFile: nil)
        let store = SeedStore(root: clone.path, seeds: [seed], database: try StateDatabase(), runner: SystemProcessRunner(),
                              events: NullEventSink(), now: { MirrorFixture.now }, actor: "ci@example")

        let outcomes = try store.fetchLocked(lock: lock, insecure: false)

        #expect(outcomes.count == 1 && outcomes[0].downloaded && outcomes[0].ident == MirrorFixture.seedIdent)
        #expect(try LockFile.read(at: clone.path + "/cbuild.lock") == lock)
    }
}
