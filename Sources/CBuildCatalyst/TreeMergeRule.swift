import CBuildBasics
import CBuildGraph
import Foundation

/// `confdir/T` and `overlay/T`: the features' portage directories (or root
/// overlays) merged in feature order into one content-addressed directory
/// `.cache/trees/<kind>-<digest>`. In a portage confdir, files at the same
/// path are concatenated (portage's files are additive line lists); in an
/// overlay, a later feature's file replaces an earlier one. Only regular
/// files and their permission bits are carried.
public struct TreeMergeRule: Rule {
    public let treeKind: String
    public let directories: [String]
    public let concatenate: Bool

    public init(treeKind: String, directories: [String], concatenate: Bool) {
        self.treeKind = treeKind; self.directories = directories; self.concatenate = concatenate
    }

    public var recipeName: String { "merge-\(treeKind)" }
    /// 2: one input per file, its text as the display when small, so
    /// `explain` shows changed lines (`package.use/desktop: +media-video/pipewire sound-server`).
    public var recipeVersion: Int { 2 }
    public var kind: RuleKind { .derived }

    /// What `explain` compares line by line: a small text file's text;
    /// otherwise (binary, large) its mode and digest.
    static func display(_ bytes: [UInt8], mode: Int, digest: Digest) -> String {
        if bytes.count <= 8192, !bytes.contains(0), let text = String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]) {
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        return "mode \(String(mode, radix: 8)), \(bytes.count) bytes, \(digest.shortHex(12))"
    }

    /// Where a merged tree with this identity lives.
    public static func directory(kind: String, outputDigest: String) -> String {
        let hex = Digest(tagged: outputDigest)?.shortHex(16) ?? String(outputDigest.suffix(16))
        return ".cache/trees/\(kind)-\(hex)"
    }

    public func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        var merged: [String: (bytes: [UInt8], mode: Int)] = [:]
        var inputs: [NodeInput] = []
        for dir in directories {
            let files = try TreeMergeRule.regularFiles(under: context.path(dir))
            for (rel, mode) in files {
                let full = context.path(dir) + "/" + rel
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw BasicsError.io(path: full, operation: "read", errno: errno)
                }
                let bytes = [UInt8](data)
                let d = ContentHasher.digest(.sha256, bytes)
                inputs.append(NodeInput(name: "\(dir)/\(rel)",
                                        digest: ContentHasher.digest(.sha256, "\(String(mode, radix: 8))\0\(d.hex)").description,
                                        display: TreeMergeRule.display(bytes, mode: mode, digest: d)))
                if concatenate, let prev = merged[rel] {
                    var b = prev.bytes
                    if let last = b.last, last != UInt8(ascii: "\n") { b.append(UInt8(ascii: "\n")) }
                    merged[rel] = (b + bytes, prev.mode)
                } else {
                    merged[rel] = (bytes, mode)
                }
            }
        }
        let out = ContentHasher(.sha256)
        for rel in merged.keys.sorted() {
            let m = merged[rel]!
            out.update("\(rel)\0\(m.mode)\0\(ContentHasher.digest(.sha256, m.bytes).hex)\0")
        }
        let digest = out.finalize().description
        let base = TreeMergeRule.directory(kind: treeKind, outputDigest: digest)
        let files = merged.keys.sorted().map { PendingFile(path: base + "/" + $0, contents: merged[$0]!.bytes, mode: merged[$0]!.mode) }
        return Evaluation(inputs: inputs, outputDigest: digest, display: merged.keys.sorted().joined(separator: "\n"), files: files)
    }

    public func activate(_ context: RuleContext, outputs: [NodeOutput]) throws {}

    /// Regular files under `root`, relative, sorted, with permission bits.
    /// Symlinks and special files are refused: they cannot be merged safely.
    static func regularFiles(under root: String) throws -> [(String, Int)] {
        var out: [(String, Int)] = []
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        while let rel = e.nextObject() as? String {
            let full = root + "/" + rel
            var st = stat()
            guard lstat(full, &st) == 0 else { throw BasicsError.io(path: full, operation: "lstat", errno: errno) }
            switch st.st_mode & S_IFMT {
            case S_IFREG: out.append((rel, Int(st.st_mode & 0o7777)))
            case S_IFDIR: continue
            default: throw TreeError.unsupportedEntry(path: full)
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }
}

/// A tree entry cbuild will not merge.
public enum TreeError: UserError, Equatable {
    case unsupportedEntry(path: String)
    public var exitStatus: ExitStatus { .usage }
    public var message: String {
        switch self {
        case let .unsupportedEntry(p): return "\(p): only regular files and directories can be merged (no symlinks or special files)"
        }
    }
}
