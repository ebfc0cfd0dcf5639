import CBuildArtifacts
import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

@Suite struct LockFileTests {
    static func entry(_ ident: String, _ file: String, source: String? = nil) -> LockFile.Entry {
        LockFile.Entry(ident: ident, file: file, size: 42, sha256: ContentHasher.digest(.sha256, file).hex,
                       sha512: ContentHasher.digest(.sha512, file).hex, blake2b: ContentHasher.digest(.blake2b512, file).hex,
                       source: source)
    }

    static let sample = LockFile(
        snapshots: ["testing": entry("20261124", "gentoo-20261124.xz.sqfs"), "stable": entry("20261123", "gentoo-20261123.xz.sqfs")],
        seeds: ["amd64-openrc": ["stable": entry("20261123T170000Z", "stage3-amd64-openrc-20261123T170000Z.tar.xz",
                                                 source: "20261123T170000Z/stage3-amd64-openrc-20261123T170000Z.tar.xz")]])

    @Test func writesDeterministicallyAndReadsBackTheSame() throws {
        let text = Self.sample.render()
        #expect(try LockFile.parse(text, file: "cbuild.lock") == Self.sample)
        var reordered = LockFile()
        reordered.seeds = Self.sample.seeds
        reordered.snapshots["stable"] = Self.sample.snapshots["stable"]
        reordered.snapshots["testing"] = Self.sample.snapshots["testing"]
        #expect(reordered.render() == text)
        #expect(text.range(of: "[snapshots.stable]")!.lowerBound < text.range(of: "[snapshots.testing]")!.lowerBound)
        #expect(text.contains("[seeds.amd64-openrc.stable]\nrelease = \"20261123T170000Z\"\n"))
        #expect(text.contains("version = 1\n"))
    }

    @Test func aMissingFileIsAnEmptyLockAndWriteIsAtomic() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try LockFile.read(at: dir.path + "/cbuild.lock") == LockFile())
        try Self.sample.write(to: dir.path + "/cbuild.lock")
        #expect(try LockFile.read(at: dir.path + "/cbuild.lock") == Self.sample)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["cbuild.lock"])
    }

    @Test func badInputIsReportedWithLineAndKey() {
        let good = Self.sample.render()
        func error(_ text: String) -> ArtifactError? { artifactError { _ = try LockFile.parse(text, file: "cbuild.lock") } }

        let typo = error(good.replacingOccurrences(of: "sha512 = ", with: "sha521 = "))
        guard case let .lockFileInvalid(_, line?, key, reason)? = typo else { Issue.record("got \(String(describing: typo))"); return }
        #expect(key == "sha521" && reason.contains("did you mean 'sha512'") && line > 5)
        #expect(typo?.exitStatus == .usage)

        #expect(error(good.replacingOccurrences(of: "version = 1", with: "version = 2"))?.description.contains("version 2") == true)
        #expect(error(good.replacingOccurrences(of: "[snapshots.stable]", with: "[snapshot.stable]")) != nil)
        #expect(error(good.replacingOccurrences(of: "date = \"20261123\"", with: "date = \"2026-11-23\"")) != nil)
        #expect(error(good.replacingOccurrences(of: "size = 42", with: "size = \"42\"")) != nil)
        let escaping = good.replacingOccurrences(of: "source = \"20261123T170000Z/", with: "source = \"../")
        #expect(error(escaping)?.location?.key == "source")
        #expect(error("[snapshots.stable]\n") != nil) // no version, missing keys
    }
}
