import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every entry under a directory with its type, size, inode and mtime (ns),
/// for "nothing was written" checks: two listings taken before and after a
/// command are equal only when no file was created, removed or rewritten.
public struct DirectoryListing: Equatable, Sendable, CustomStringConvertible {
    /// One entry, by path relative to the listed directory.
    public struct Entry: Equatable, Sendable {
        public var type: String
        public var size: Int64
        public var inode: UInt64
        public var mtimeNanoseconds: Int64
    }

    public let entries: [String: Entry]

    public init(_ root: String) {
        var out: [String: Entry] = [:]
        let fm = FileManager.default
        if let walker = fm.enumerator(atPath: root) {
            while let rel = walker.nextObject() as? String {
                if let e = Self.entry(root + "/" + rel) { out[rel] = e }
            }
        }
        entries = out
    }

    /// The stat facts of one path (not following a final symlink), nil when absent.
    public static func entry(_ path: String) -> Entry? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        let type: String
        switch st.st_mode & S_IFMT {
        case S_IFDIR: type = "dir"
        case S_IFLNK: type = "link"
        case S_IFREG: type = "file"
        default: type = "other"
        }
        return Entry(type: type, size: Int64(st.st_size), inode: UInt64(st.st_ino),
                     mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// Paths that differ between two listings (added, removed or changed).
    public func differences(from other: DirectoryListing) -> [String] {
        Set(entries.keys).union(other.entries.keys).filter { entries[$0] != other.entries[$0] }.sorted()
    }

    public var description: String { entries.keys.sorted().joined(separator: "\n") }
}
