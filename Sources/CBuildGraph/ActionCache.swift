import Foundation

/// A build of one key that a shared cache holds, as its verified record
/// describes it: the outputs (paths relative to the build directory, as
/// catalyst names them, with their SHA-256 and size) and who built it.
public struct CachedBuild: Sendable, Hashable {
    public var key: String
    public var recipe: String
    public var outputs: [NodeOutput]
    /// `user@host` of the build that pushed it.
    public var builtBy: String
    public var builtAt: Date
    /// Where the record lives, for messages (`http://cache:8080/ac/<key>`).
    public var entry: String

    public init(key: String, recipe: String, outputs: [NodeOutput], builtBy: String, builtAt: Date, entry: String) {
        self.key = key; self.recipe = recipe; self.outputs = outputs
        self.builtBy = builtBy; self.builtAt = builtAt; self.entry = entry
    }
}

/// Outputs of action nodes shared between build hosts by key (the remote
/// cache). The engine asks it before running an action that has no local
/// build of its key, and hands it every successful local build. It never
/// throws: a miss, a bad record, a corrupt blob or a cache that is down all
/// mean "build locally"; the cache reports why through the event sink.
public protocol ActionCache: Sendable {
    /// The verified record of a build of `key`, or nil.
    func lookup(node: NodeID, key: String) async -> CachedBuild?
    /// Downloads every output of `build`, checks each digest and moves the
    /// files to their recorded paths. False (nothing moved) when any failed.
    func install(_ build: CachedBuild, node: NodeID) async -> Bool
    /// Uploads a successful local build when this host pushes: its outputs
    /// first, then the record (the record is the commit point).
    func push(node: NodeID, key: String, recipe: String, inputs: [NodeInput], outputs: [NodeOutput],
              duration: Double) async
}
