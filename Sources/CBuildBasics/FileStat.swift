import Foundation

/// What `lstat(2)`/`stat(2)` says about one path, reduced to the facts cbuild
/// uses: identity (device, inode), size, nanosecond times, permission bits,
/// the kind of entry, and a symlink's target. The digest cache validates its
/// entries with these fields and the tree hasher reads kinds and modes here.
public struct FileStat: Sendable, Hashable {
    /// The kind of a directory entry; `other` covers fifos, sockets and devices.
    public enum FileType: String, Sendable, Hashable, Codable {
        case file, directory, symlink, other
    }

    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Last content modification, nanoseconds since the epoch.
    public var mtimeNs: Int64
    /// Last inode change (content, mode, owner, times set by hand), nanoseconds since the epoch.
    public var ctimeNs: Int64
    /// The full `st_mode`, type bits included.
    public var mode: UInt32
    public var type: FileType
    /// The target text of a symlink, exactly as stored (never resolved);
    /// nil for other types and when symlinks were followed.
    public var symlinkTarget: String?

    /// Permission bits only (including setuid, setgid and sticky): `mode & 0o7777`.
    public var permissions: UInt32 { mode & 0o7777 }

    public init(device: UInt64, inode: UInt64, size: Int64, mtimeNs: Int64, ctimeNs: Int64,
                mode: UInt32, type: FileType, symlinkTarget: String? = nil) {
        self.device = device; self.inode = inode; self.size = size
        self.mtimeNs = mtimeNs; self.ctimeNs = ctimeNs; self.mode = mode
        self.type = type; self.symlinkTarget = symlinkTarget
    }

    /// Stats `path`. With `followSymlinks` false (lstat) a symlink describes
    /// itself and its target text is read; with true (stat) the entry it
    /// points to is described. Throws `BasicsError.io` naming the path.
    public static func of(_ path: String, followSymlinks: Bool = false) throws -> FileStat {
        var st = stat()
        let rc = followSymlinks ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else {
            throw BasicsError.io(path: path, operation: followSymlinks ? "stat" : "lstat", errno: errno)
        }
        var result = FileStat(st)
        if result.type == .symlink {
            result.symlinkTarget = try readLink(path)
        }
        return result
    }

    /// Like `of`, but nil when the path does not exist (ENOENT or ENOTDIR).
    public static func ifExists(_ path: String, followSymlinks: Bool = false) throws -> FileStat? {
        do {
            return try of(path, followSymlinks: followSymlinks)
        } catch let BasicsError.io(_, _, code) where code == ENOENT || code == ENOTDIR {
            return nil
        }
    }

    /// Stats an open descriptor (`fstat(2)`).
    public static func of(descriptor fd: Int32, path: String) throws -> FileStat {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw BasicsError.io(path: path, operation: "fstat", errno: errno) }
        return FileStat(st)
    }

    private init(_ st: stat) {
        #if os(Linux)
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        #else
        let mtime = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        let ctime = Int64(st.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(st.st_ctimespec.tv_nsec)
        #endif
        let mode = UInt32(st.st_mode)
        let type: FileType
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): type = .file
        case UInt32(S_IFDIR): type = .directory
        case UInt32(S_IFLNK): type = .symlink
        default: type = .other
        }
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                  mtimeNs: mtime, ctimeNs: ctime, mode: mode, type: type)
    }

    /// readlink(2) into a growing buffer: the target text as bytes, decoded as UTF-8.
    private static func readLink(_ path: String) throws -> String {
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let n = readlink(path, &buffer, capacity)
            guard n >= 0 else { throw BasicsError.io(path: path, operation: "readlink", errno: errno) }
            if n < capacity {
                return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            capacity *= 4
        }
    }
}
