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
        // The encoding, gathered into one buffer and hashed in one call
        // (a no-op build derives every key; one string per piece showed):
        //   "cbuild-node-key\0v<version>\0" "kind\0<kind>\0recipe\0<recipe>\0"
        //   ("salt\0<salt>\0")* ("input\0<name>\0<digest>\0")* by name
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + kind.utf8.count + recipe.utf8.count + salt.reduce(0) { $0 + $1.utf8.count + 6 }
                              + inputs.reduce(0) { $0 + $1.name.utf8.count + $1.digest.utf8.count + 8 })
        func piece(_ text: String) { bytes.append(contentsOf: text.utf8); bytes.append(0) }
        piece("cbuild-node-key"); piece("v\(NodeKey.encodingVersion)")
        piece("kind"); piece(kind); piece("recipe"); piece(recipe)
        for s in salt { piece("salt"); piece(s) }
        for i in inputs.sorted(by: { $0.name < $1.name }) { piece("input"); piece(i.name); piece(i.digest) }
        digest = ContentHasher.digest(.sha256, bytes)
    }

    public var description: String { digest.description }
    /// For version stamps and displays.
    public var short: String { digest.shortHex(12) }
}
