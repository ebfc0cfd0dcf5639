import ArgumentParser
import CBuildConfig
import CBuildProject
import Foundation

/// Shell completion of node names (`cbuild stage4/<TAB>`): the nodes users
/// name (as `cbuild targets` lists them) of the build directory found from
/// the current directory, or from `-C DIR` on the command line. Reads the
/// configuration only; nothing is locked or written.
enum NodeCompletion {
    static let kind = CompletionKind.custom { words, _, prefix in candidates(words: words, prefix: prefix) }

    static func candidates(words: [String], prefix: String) -> [String] {
        var explicit: String?
        if let i = words.firstIndex(of: "-C"), i + 1 < words.count { explicit = words[i + 1] }
        guard let dir = try? BuildDirectory.discover(from: FileManager.default.currentDirectoryPath, explicit: explicit),
              let config = try? BuildConfiguration.load(dir),
              let graph = try? ProjectGraph.build(config) else { return [] }
        return graph.allIDs.filter { TargetsCommand.kind(of: $0) != nil && $0.name.hasPrefix(prefix) }.map(\.name)
    }
}
