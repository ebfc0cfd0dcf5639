import CBuildState
import Foundation

/// Which old stage and image outputs `cbuild prune --builds` may remove:
/// every output of a good build that is neither part of a node's current
/// build nor of its `keep` newest earlier builds (distinct keys, so a
/// rollback to any of them is a reuse, not a catalyst run). Seeds and
/// snapshots are not builds (`snapshot prune`, `seed prune` keep what roles
/// and cbuild.lock use); files no record names are never touched.
public enum BuildRetention {
    public struct Removal: Sendable, Equatable {
        /// Relative to the build directory.
        public var path: String
        public var size: Int64
        /// The node whose build made it.
        public var node: String
    }

    /// The directories whose files are build outputs.
    static let outputDirectories = ["artifacts/builds/", "artifacts/images/", "artifacts/tests/"]

    public static func plan(database: StateDatabase, root: String, keep: Int) throws -> [Removal] {
        let current = try database.currentBuildHeads()
        var kept = Set(current.values.flatMap { $0.outputs.map(\.path) })
        var seenKeys: [String: [String]] = [:]
        var candidates: [String: (node: String, size: Int64)] = [:]
        for build in try database.allGoodBuilds() {
            var keys = seenKeys[build.node, default: []]
            let isCurrent = current[build.node]?.key == build.key
            if !isCurrent && !keys.contains(build.key) && keys.count < keep { keys.append(build.key) }
            seenKeys[build.node] = keys
            let keepThis = isCurrent || keys.contains(build.key)
            for o in build.outputs {
                if keepThis { kept.insert(o.path); continue }
                guard outputDirectories.contains(where: { o.path.hasPrefix($0) }), !o.path.hasPrefix("artifacts/builds/seeds/") else { continue }
                candidates[o.path] = (build.node, o.size)
            }
        }
        return candidates.filter { !kept.contains($0.key) && FileManager.default.fileExists(atPath: root + "/" + $0.key) }
            .map { Removal(path: $0.key, size: (try? FileManager.default.attributesOfItem(atPath: root + "/" + $0.key)[.size] as? Int64) ?? $0.value.size,
                           node: $0.value.node) }
            .sorted { $0.path < $1.path }
    }
}
