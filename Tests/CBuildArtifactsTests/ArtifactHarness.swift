import CBuildArtifacts
import CBuildBasics
import CBuildState
import CBuildTestSupport
import Foundation

/// A build directory with its state database, a fresh copy of the test
/// mirror, and stores wired to them — what every artifact test starts from.
struct ArtifactHarness {
    let build: TemporaryDirectory
    let mirror: MirrorFixture
    let events = CollectingEventSink()
    let database: StateDatabase

    init() throws {
        build = try TemporaryDirectory(prefix: "cbuild-artifacts")
        mirror = try MirrorFixture()
        database = try StateDatabase.open(at: build.path + "/.cache/state.db").0
    }

    func remove() {
        build.remove()
        mirror.remove()
    }

    var root: String { build.path }

    func snapshots(flavor: Int, mirrors: [String]? = nil, keyring: [String]? = nil, maxAgeDays: Int = 3,
                   allowHTTP: Bool = true, events: EventSink? = nil, now: Date = MirrorFixture.now) -> SnapshotStore {
        let settings = MirrorSettings(mirrors: mirrors ?? [mirror.fileURL], keyring: keyring ?? [mirror.keyFile],
                                      maxAgeDays: maxAgeDays, allowHTTP: allowHTTP, systemKeyFile: nil)
        return SnapshotStore(root: root, flavor: flavor, settings: settings, database: database,
                             runner: SystemProcessRunner(), events: events ?? self.events, now: { now },
                             actor: "tester@example")
    }

    func seeds(mirrors: [String]? = nil, keyring: [String]? = nil, allowHTTP: Bool = true) -> SeedStore {
        let seed = SeedSettings(name: "amd64-openrc", arch: MirrorFixture.arch, variant: MirrorFixture.variant,
                                mirrors: mirrors ?? [mirror.fileURL], keyring: keyring ?? [mirror.keyFile],
                                allowHTTP: allowHTTP, systemKeyFile: nil)
        return SeedStore(root: root, seeds: [seed], database: database, runner: SystemProcessRunner(),
                         events: events, now: { MirrorFixture.now }, actor: "tester@example")
    }

    /// Where a role link points (its literal target), nil when absent.
    func linkTarget(_ relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + relative)
    }

    func lock() throws -> LockFile { try LockFile.read(at: root + "/cbuild.lock") }

    /// Files left in the download staging directory.
    func partials() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/artifacts/.partial")) ?? []).sorted()
    }

    /// SHA-512 of a mirror file, hex.
    func mirrorSHA512(_ relative: String) throws -> String {
        try ContentHasher.digestFile(at: mirror.path(relative), .sha512).hex
    }
}

/// Runs `body` and returns the `ArtifactError` it throws (nil when it does not throw one).
func artifactError(_ body: () throws -> Void) -> ArtifactError? {
    do { try body() } catch let e as ArtifactError { return e } catch { return nil }
    return nil
}
