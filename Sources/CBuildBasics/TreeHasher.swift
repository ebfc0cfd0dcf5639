import Foundation

/// One entry of a hashed tree, as it entered the tree's digest: its path
/// relative to the tree's root, its type, its permission bits, and its
/// content digest (files) or target text (symlinks). Kept per build so
/// `explain` can say which file of a confdir or overlay changed.
public struct TreeEntry: Sendable, Hashable, Codable {
    /// Relative to the tree's root, `/`-separated, never starting with `/`.
    public var path: String
    public var type: FileStat.FileType
    /// Permission bits (`mode & 0o7777`); 0 for symlinks, whose mode the
    /// file system decides and which never matters.
    public var mode: UInt32
    /// SHA-256 of the content, for regular files only.
    public var digest: Digest?
    /// The symlink's target text, exactly as stored, for symlinks only.
    public var symlinkTarget: String?

    public init(path: String, type: FileStat.FileType, mode: UInt32, digest: Digest? = nil, symlinkTarget: String? = nil) {
        self.path = path; self.type = type; self.mode = mode; self.digest = digest; self.symlinkTarget = symlinkTarget
    }
}

/// The result of hashing a tree: one digest for keys, and the entries it was
/// computed from for explanations.
public struct TreeDigest: Sendable, Hashable, Codable {
    public var digest: Digest
    public var entries: [TreeEntry]

    public init(digest: Digest, entries: [TreeEntry]) {
        self.digest = digest; self.entries = entries
    }
}

/// One difference between two hashed trees, for `explain`.
public enum TreeChange: Sendable, Hashable, CustomStringConvertible {
    case added(TreeEntry)
    case removed(TreeEntry)
    /// Same path; type, mode, content or symlink target differ.
    case modified(old: TreeEntry, new: TreeEntry)

    public var path: String {
        switch self {
        case let .added(e), let .removed(e): return e.path
        case let .modified(_, e): return e.path
        }
    }

    public var description: String {
        switch self {
        case let .added(e): return "\(e.path): added"
        case let .removed(e): return "\(e.path): removed"
        case let .modified(old, new):
            var what: [String] = []
            if old.type != new.type { what.append("\(old.type.rawValue) → \(new.type.rawValue)") }
            if old.mode != new.mode { what.append("mode \(String(old.mode, radix: 8)) → \(String(new.mode, radix: 8))") }
            if old.symlinkTarget != new.symlinkTarget {
                what.append("target \(old.symlinkTarget ?? "-") → \(new.symlinkTarget ?? "-")")
            }
            if old.digest != new.digest, old.type == new.type {
                what.append("content \(old.digest?.shortHex() ?? "-") → \(new.digest?.shortHex() ?? "-")")
            }
            return "\(new.path): " + what.joined(separator: ", ")
        }
    }
}

/// Digest of a directory tree (a confdir, an overlay, a kernel config
/// directory) that is independent of where the tree lives.
///
/// Canonical form (version `cbuild-tree-1`): the tree is walked depth-first
/// with each directory's names sorted by their UTF-8 bytes; the root itself
/// is not an entry (its own mode and name never matter). For every entry the
/// SHA-256 receives `type NUL octal-mode NUL relative-path NUL payload NUL`,
/// where payload is the content digest's hex for files, the target text for
/// symlinks (never followed) and empty for directories and other entries.
/// NUL cannot occur in names or link targets, so the encoding is unambiguous.
/// Empty directories are entries, so adding one changes the digest.
///
/// File contents are digested in one batch through `fileDigests`, so the
/// digest cache (parallel and persistent) can serve them.
public struct TreeHasher: Sendable {
    /// Digests a batch of absolute file paths (SHA-256), results in input order.
    public typealias FileDigests = @Sendable ([String]) throws -> [Digest]

    public static let formatVersion = "cbuild-tree-1"

    private let fileDigests: FileDigests

    /// `fileDigests` defaults to hashing every file afresh on all cores.
    public init(fileDigests: @escaping FileDigests = { try ParallelHasher.digests(of: $0) }) {
        self.fileDigests = fileDigests
    }

    /// Hashes the tree at `root`. A symlink as the root is followed (an
    /// `overlays/ssh` that is a link to a shared tree); symlinks inside are not.
    /// Throws `BasicsError.io` naming the path when the root is not a
    /// directory or an entry cannot be read.
    public func hash(_ root: String) throws -> TreeDigest {
        let rootStat = try FileStat.of(root, followSymlinks: true)
        guard rootStat.type == .directory else {
            throw BasicsError.io(path: root, operation: "hash tree", errno: ENOTDIR)
        }
        var entries: [TreeEntry] = []
        var filePaths: [String] = []
        var fileIndices: [Int] = []
        try walk(root: root, relative: "", into: &entries, filePaths: &filePaths, fileIndices: &fileIndices)

        let digests = try fileDigests(filePaths)
        precondition(digests.count == filePaths.count, "fileDigests returned \(digests.count) digests for \(filePaths.count) files")
        for (i, index) in fileIndices.enumerated() { entries[index].digest = digests[i] }

        let hasher = ContentHasher(.sha256)
        hasher.update(Self.formatVersion + "\0")
        for e in entries {
            let payload: String
            switch e.type {
            case .file: payload = e.digest!.hex
            case .symlink: payload = e.symlinkTarget ?? ""
            case .directory, .other: payload = ""
            }
            hasher.update("\(e.type.rawValue)\0\(String(e.mode, radix: 8))\0\(e.path)\0\(payload)\0")
        }
        return TreeDigest(digest: hasher.finalize(), entries: entries)
    }

    /// The differences between an old and a new entry list, by path.
    public static func changes(from old: [TreeEntry], to new: [TreeEntry]) -> [TreeChange] {
        let oldByPath = Dictionary(old.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let newByPath = Dictionary(new.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [TreeChange] = []
        for e in old where newByPath[e.path] == nil { out.append(.removed(e)) }
        for e in new {
            if let o = oldByPath[e.path] {
                if o != e { out.append(.modified(old: o, new: e)) }
            } else {
                out.append(.added(e))
            }
        }
        return out.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    private func walk(root: String, relative: String, into entries: inout [TreeEntry],
                      filePaths: inout [String], fileIndices: inout [Int]) throws {
        let dir = relative.isEmpty ? root : root + "/" + relative
        let names = try Self.directoryNames(dir)
        for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + rel
            let st = try FileStat.of(full, followSymlinks: false)
            switch st.type {
            case .file:
                entries.append(TreeEntry(path: rel, type: .file, mode: st.permissions))
                fileIndices.append(entries.count - 1)
                filePaths.append(full)
            case .symlink:
                entries.append(TreeEntry(path: rel, type: .symlink, mode: 0, symlinkTarget: st.symlinkTarget))
            case .directory:
                entries.append(TreeEntry(path: rel, type: .directory, mode: st.permissions))
                try walk(root: root, relative: rel, into: &entries, filePaths: &filePaths, fileIndices: &fileIndices)
            case .other:
                entries.append(TreeEntry(path: rel, type: .other, mode: st.permissions))
            }
        }
    }

    /// The names in a directory except `.` and `..`, via readdir(3) so a
    /// failure keeps its errno.
    private static func directoryNames(_ dir: String) throws -> [String] {
        guard let handle = opendir(dir) else { throw BasicsError.io(path: dir, operation: "opendir", errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { throw BasicsError.io(path: dir, operation: "readdir", errno: errno) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
