import Testing
import Foundation
@testable import CBuildBasics

/// A digest's text forms are stored in keys, records and shared caches, so they must never change.
@Suite struct DigestTests {
    @Test func hexAndDescriptionAreLowercaseTaggedHex() throws {
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        let abc = ContentHasher.digest(.sha256, "abc")
        #expect(abc.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(abc.description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Every algorithm and every byte value, against an independent formatting.
        for algorithm in Digest.Algorithm.allCases {
            var bytes = (0..<algorithm.byteCount).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            for first in 0...255 {
                bytes[0] = UInt8(first)
                let d = Digest(algorithm: algorithm, bytes: bytes)
                let expected = bytes.map { String(format: "%02x", $0) }.joined()
                #expect(d.hex == expected)
                #expect(d.description == algorithm.rawValue + ":" + expected)
                #expect(Digest(tagged: d.description) == d)
            }
        }
    }
}
