import CBuildArtifacts
import CBuildBasics
import Testing

@Suite struct DigestListTests {
    let a = ContentHasher.digest(.sha512, "a")
    let b = ContentHasher.digest(.blake2b512, "a")

    @Test func sumFilesNameFilesByBaseName() {
        let text = """
            # comment \(a.hex)  ignored
            \(a.hex)  gentoo-20261123.xz.sqfs
            \(ContentHasher.digest(.sha512, "b").hex) *./sub/gentoo-20261122.xz.sqfs
            not a line
            """
        let list = DigestList.parseSums(text, algorithm: .sha512)
        #expect(list.digests(for: "gentoo-20261123.xz.sqfs", .sha512) == [a])
        #expect(list.digests(for: "gentoo-20261122.xz.sqfs", .sha512) == [ContentHasher.digest(.sha512, "b")])
        #expect(list.entries.count == 2)
    }

    @Test func digestsFilesTakeTheAlgorithmFromTheHeaderAbove() throws {
        let text = """
            # BLAKE2B HASH
            \(b.hex)  stage3.tar.xz
            # SHA512 HASH
            \(a.hex)  stage3.tar.xz
            # WHIRLPOOL HASH
            \(a.hex)  stage3.tar.xz.CONTENTS.gz
            """
        let list = DigestList.parseDIGESTS(text)
        #expect(list.digests(for: "stage3.tar.xz", .blake2b512) == [b])
        #expect(list.digests(for: "stage3.tar.xz", .sha512) == [a])
        #expect(!list.lists("stage3.tar.xz.CONTENTS.gz"))
        try list.check("stage3.tar.xz", actual: [a, b], required: [.sha512, .blake2b512], display: "DIGESTS")
    }

    @Test func checkFailsOnAnyDisagreeingOrMissingDigest() {
        let other = ContentHasher.digest(.sha512, "other")
        let twice = DigestList.parseSums("\(a.hex)  f\n\(other.hex)  f\n", algorithm: .sha512)
        #expect(throws: ArtifactError.self) { try twice.check("f", actual: [a], required: [.sha512], display: "x") }
        let onlySHA = DigestList.parseSums("\(a.hex)  f\n", algorithm: .sha512)
        let error = artifactError { try onlySHA.check("f", actual: [a, b], required: [.sha512, .blake2b512], display: "x") }
        guard case .verificationFailed(_, .digestMissing)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.exitStatus == .verification)
    }
}
