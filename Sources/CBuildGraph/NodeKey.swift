import CBuildBasics

/// A node's key: SHA-256 over a canonical, versioned encoding of the node
/// kind, the recipe (name@version), the key salt (catalyst flavour) and
/// every input's name and digest, sorted by name. Absolute paths never
/// enter (rules normalise them), so moving the directory keeps every key.
public struct NodeKey: Hashable, Sendable, CustomStringConvertible {
    public let digest: Digest

    /// Version of this encoding; bumping it changes every key.
    public static let encodingVersion = 1

    public init(kind: String, recipe: String, salt: [String], inputs: [NodeInput]) {
        let h = ContentHasher(.sha256)
        h.update("cbuild-node-key\0v\(NodeKey.encodingVersion)\0")
        h.update("kind\0\(kind)\0recipe\0\(recipe)\0")
        for s in salt { h.update("salt\0\(s)\0") }
        for i in inputs.sorted(by: { $0.name < $1.name }) { h.update("input\0\(i.name)\0\(i.digest)\0") }
        digest = h.finalize()
    }

    public var description: String { digest.description }
    /// For version stamps and displays.
    public var short: String { digest.shortHex(12) }
}
