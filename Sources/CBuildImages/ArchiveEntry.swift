/// One member of a stage4 tarball as its headers describe it (ustar, GNU
/// long names, pax records): what the image's filesystem must carry for it
/// — ownership, mode, time, device numbers, xattrs — whatever the unpacking
/// user could or could not reproduce on the host.
public struct ArchiveEntry: Sendable, Hashable {
    /// The member types of a tar archive cbuild carries into an image.
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

    /// One extended attribute: full name (`security.capability`) and raw value.
    public struct Xattr: Sendable, Hashable {
        public var name: String
        public var value: [UInt8]
    }

    /// True for entries tar cannot create without root (device nodes).
    public var needsPrivilege: Bool { kind == .characterDevice || kind == .blockDevice }

    /// `/path` as the image sees it.
    public var imagePath: String { "/" + path }
}
