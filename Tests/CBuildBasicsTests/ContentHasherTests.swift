import Testing
import Foundation
@testable import CBuildBasics
import CBuildTestSupport

/// Streaming digests agree with known vectors and with the coreutils tools.
@Suite struct ContentHasherTests {
    @Test func knownVectors() {
        #expect(ContentHasher.digest(.sha256, "abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHasher.digest(.sha512, "abc").hex.hasPrefix("ddaf35a193617aba"))
        #expect(ContentHasher.digest(.blake2b512, "abc").hex.hasPrefix("ba80a53f981c4d0d"))
    }

    /// The digests cbuild computes must be the ones Gentoo's tools print for
    /// the same file: sha256sum for keys, sha512sum and b2sum for `.DIGESTS`.
    /// Sizes around the small-file buffer's page rounding and the 1 MiB read.
    @Test(arguments: [0, 1, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12_345])
    func fileDigestsMatchCoreutils(size: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/data.bin"
        // Pseudo-random bytes, larger than one read block so the streaming
        // loop's block boundaries are crossed.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(size)
        let bytes = (0..<size).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let all = try ContentHasher.digestFile(at: path, algorithms: [.sha256, .sha512, .blake2b512, .md5])
        let runner = SystemProcessRunner()
        for (digest, tool) in zip(all, ["sha256sum", "sha512sum", "b2sum", "md5sum"]) {
            let result = try runner.run([tool, path])
            #expect(result.succeeded, "\(tool) failed: \(result.stderrString)")
            let printed = result.stdoutString.split(separator: " ").first.map(String.init)
            #expect(digest.hex == printed, "\(tool) on \(size) bytes")
            // The single-algorithm entry point agrees with the multi-algorithm pass.
            #expect(try ContentHasher.digestFile(at: path, digest.algorithm) == digest)
        }
        #expect(ContentHasher.digest(.sha256, bytes) == all[0])
    }

    /// The stat returned with a digest is the file's own, from its
    /// descriptor: what the digest cache records the entry under.
    @Test func theStatReturnedIsTheFilesOwn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("data.txt", "some bytes\n")
        let (digests, stat) = try ContentHasher.digestFileAndStat(at: path, algorithms: [.sha256])
        #expect(digests == [ContentHasher.digest(.sha256, "some bytes\n")])
        #expect(stat == (try FileStat.of(path, followSymlinks: true)))
        #expect(stat.size == 11)
    }

    @Test func missingFileNamesThePath() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = dir.path + "/nope"
        #expect {
            try ContentHasher.digestFile(at: missing)
        } throws: { error in
            guard case let BasicsError.io(path, operation, code) = error else { return false }
            return path == missing && operation == "open" && code == ENOENT
        }
    }
}
