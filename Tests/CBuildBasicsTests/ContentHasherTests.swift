import Testing
import Foundation
@testable import CBuildBasics

@Suite struct ContentHasherTests {
    @Test func knownVectors() {
        #expect(ContentHasher.digest(.sha256, "abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHasher.digest(.sha512, "abc").hex.hasPrefix("ddaf35a193617aba"))
        #expect(ContentHasher.digest(.blake2b512, "abc").hex.hasPrefix("ba80a53f981c4d0d"))
    }
}
