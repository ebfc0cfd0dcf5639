import CBuildBasics
import CBuildTestSupport
import CReadTrace
import Testing

/// The no-op record's own SHA-256 (CReadTrace/sha256.c, used before any
/// library is loaded) against libcrypto's, on every length around the
/// 64-byte block and its padding boundary, and on longer random inputs.
@Suite struct IdentityDigestTests {
    static func ours(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { cbuild_trace_sha256($0.baseAddress, $0.count, &digest) }
        return digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func equalsLibcryptoOnEveryLengthAroundTheBlockSize() {
        var random = SeededGenerator(seed: 0x5348_4132_3536)
        for length in Array(0...200) + [1000, 4095, 4096, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(Self.ours(bytes) == ContentHasher.digest(.sha256, bytes).hex, "length \(length)")
        }
    }

    @Test func knownAnswers() {
        // FIPS 180-4 examples.
        #expect(Self.ours([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.ours(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
