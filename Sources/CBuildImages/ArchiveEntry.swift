/// One member of a stage4 tarball as its headers describe it (ustar, GNU
/// long names, pax records): what the image's filesystem must carry for it
/// — ownership, mode, time, device numbers, xattrs — whatever the unpacking
/// user could or could not reproduce on the host.
public struct ArchiveEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file, hardLink, symlink, characterDevice, blockDevice, directory, fifo
    }

    /// Relative to the archive's root, without `./`; "" is the root itself.
    public var path: String
    public var kind: Kind
    /// Permission bits including set-uid, set-gid and sticky (07777).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var mtime: Int64
    /// Bytes of content (regular files).
    public var size: Int64
    /// Link target (symlinks, hard links).
    public var linkTarget: String
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes in archive order (pax `SCHILY.xattr.NAME`).
    public var xattrs: [Xattr]

    public struct Xattr: Sendable, Hashable {
        public var name: String
        public var value: [UInt8]
    }

    /// True for entries tar cannot create without root (device nodes).
    public var needsPrivilege: Bool { kind == .characterDevice || kind == .blockDevice }

    /// `/path` as the image sees it.
    public var imagePath: String { "/" + path }
}

/// Every member of a stage4 tarball, last occurrence of a path winning (as
/// when tar extracts it), in first-appearance order.
public struct StageManifest: Sendable {
    public private(set) var entries: [ArchiveEntry] = []
    private var index: [String: Int] = [:]

    public init() {}

    mutating func add(_ e: ArchiveEntry) {
        if let i = index[e.path] { entries[i] = e } else { index[e.path] = entries.count; entries.append(e) }
    }

    public subscript(path: String) -> ArchiveEntry? { index[path].map { entries[$0] } }

    /// Bytes of regular-file content.
    public var contentBytes: Int64 { entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }

    /// Bytes the content takes in 4 KiB blocks (files and directories).
    public var allocatedBytes: Int64 {
        entries.reduce(0) { sum, e in
            switch e.kind {
            case .file: return sum + (e.size + 4095) / 4096 * 4096
            case .directory: return sum + 4096
            default: return sum
            }
        }
    }

    /// The newest modification time: the default `SOURCE_DATE_EPOCH` of an image.
    public var newestMTime: Int64 { entries.map(\.mtime).max() ?? 0 }
}
