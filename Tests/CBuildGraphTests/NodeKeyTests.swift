import CBuildBasics
import CBuildGraph
import Testing

/// Keys are stored in users' state and in shared caches: their bytes must never change.
@Suite struct NodeKeyTests {
    @Test func aKeyIsPinnedToItsDocumentedEncoding() {
        // Expected value computed outside Swift (Python's hashlib) over the
        // encoding NodeKey documents, inputs sorted by name.
        let key = NodeKey(kind: "action", recipe: "stage@3", salt: ["flavour-3"], inputs: [
            NodeInput(name: "spec", digest: ContentHasher.digest(.sha256, "abc").description),
            NodeInput(name: "seed", digest: "sha256:" + String(repeating: "0", count: 64)),
        ])
        #expect(key.description == "sha256:1799c30da442fa535be690ffb823378a0f261b0503cc2922e6c994f48e686c56")
    }
}
