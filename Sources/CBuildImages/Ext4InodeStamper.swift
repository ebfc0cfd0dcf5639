import CBuildBasics
import Foundation

/// Makes an ext4 image made by `mkfs.ext4 -d` independent of when and by
/// whom it was made. `mkfs.ext4 -d` copies each inode's owner, access and
/// change times from the unpacked files, and those are the unpacking
/// user's and the unpacking moment's. This pass walks every inode in use
/// (inode bitmaps and tables, read from the group descriptors) and sets
/// access, change and creation times to `epoch`, clamps modification times
/// to `epoch`, sets owner and group to root (the archive's other owners are
/// applied afterwards by name), and recomputes each inode's metadata
/// checksum (crc32c, as e2fsprogs does). Knows the 64bit, flex_bg,
/// metadata_csum and csum_seed layouts `mkfs.ext4` writes.
struct Ext4InodeStamper {
    let path: String
    let epoch: UInt32
    /// Where the filesystem starts in the file (a partition in a disk image).
    var offset: Int64 = 0

    /// Where the inode tables are, from the superblock.
    struct Layout {
        var blockSize: Int
        var inodeSize: Int
        var inodesPerGroup: Int
        var groups: Int
        var descriptorSize: Int
        var descriptorTable: Int64
        var metadataChecksums: Bool
        var checksumSeed: UInt32
    }

    /// Stamps every inode in use; returns how many.
    @discardableResult
    func run() throws -> Int {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        let layout = try Self.layout(fd, path: path, offset: offset)
        let descriptors = try Self.pread(fd, count: layout.groups * layout.descriptorSize, at: offset + layout.descriptorTable, path: path)
        var stamped = 0
        for group in 0..<layout.groups {
            let d = group * layout.descriptorSize
            let flags = Self.u16(descriptors, d + 18)
            if flags & 0x1 != 0 { continue }   // INODE_UNINIT: no inode in use
            var bitmapBlock = Int64(Self.u32(descriptors, d + 4))
            var tableBlock = Int64(Self.u32(descriptors, d + 8))
            if layout.descriptorSize >= 64 {
                bitmapBlock |= Int64(Self.u32(descriptors, d + 0x24)) << 32
                tableBlock |= Int64(Self.u32(descriptors, d + 0x28)) << 32
            }
            let bitmap = try Self.pread(fd, count: (layout.inodesPerGroup + 7) / 8, at: offset + bitmapBlock * Int64(layout.blockSize), path: path)
            var used = 0
            for i in 0..<layout.inodesPerGroup where bitmap[i >> 3] & (1 << UInt8(i & 7)) != 0 { used = i + 1 }
            guard used > 0 else { continue }
            let tableOffset = offset + tableBlock * Int64(layout.blockSize)
            var table = try Self.pread(fd, count: used * layout.inodeSize, at: tableOffset, path: path)
            var changed = false
            for i in 0..<used where bitmap[i >> 3] & (1 << UInt8(i & 7)) != 0 {
                let number = UInt32(group * layout.inodesPerGroup + i + 1)
                if stamp(&table, at: i * layout.inodeSize, number: number, layout: layout) { changed = true }
                stamped += 1
            }
            if changed {
                let n = table.withUnsafeBytes { Foundation.pwrite(fd, $0.baseAddress, $0.count, off_t(tableOffset)) }
                guard n == table.count else { throw BasicsError.io(path: path, operation: "write inode table", errno: errno) }
            }
        }
        guard fsync(fd) == 0 else { throw BasicsError.io(path: path, operation: "fsync", errno: errno) }
        return stamped
    }

    /// Rewrites one inode's owner and times; returns whether a byte changed.
    private func stamp(_ t: inout [UInt8], at o: Int, number: UInt32, layout: Layout) -> Bool {
        let before = Array(t[o..<o + layout.inodeSize])
        let extra = layout.inodeSize > 128 ? Int(Self.u16(t, o + 0x80)) : 0
        func has(_ fieldEnd: Int) -> Bool { 128 + extra >= fieldEnd }
        Self.put16(&t, o + 2, 0)                     // i_uid
        Self.put16(&t, o + 24, 0)                    // i_gid
        Self.put16(&t, o + 0x78, 0)                  // l_i_uid_high
        Self.put16(&t, o + 0x7A, 0)                  // l_i_gid_high
        Self.put32(&t, o + 8, epoch)                 // i_atime
        Self.put32(&t, o + 12, epoch)                // i_ctime
        if Self.u32(t, o + 16) > epoch { Self.put32(&t, o + 16, epoch) }   // i_mtime, clamped
        if has(0x88) { Self.put32(&t, o + 0x84, 0) } // i_ctime_extra
        if has(0x8C) { Self.put32(&t, o + 0x88, 0) } // i_mtime_extra
        if has(0x90) { Self.put32(&t, o + 0x8C, 0) } // i_atime_extra
        if has(0x94) { Self.put32(&t, o + 0x90, epoch) }  // i_crtime
        if has(0x98) { Self.put32(&t, o + 0x94, 0) } // i_crtime_extra
        if layout.metadataChecksums {
            let hasHigh = layout.inodeSize > 128 && extra >= 4
            Self.put16(&t, o + 0x7C, 0)
            if hasHigh { Self.put16(&t, o + 0x82, 0) }
            var crc = CRC32C.update(layout.checksumSeed, Self.le32(number))
            crc = CRC32C.update(crc, Array(t[(o + 100)..<(o + 104)]))        // i_generation, as stored
            crc = t.withUnsafeBytes { CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: $0[o..<o + layout.inodeSize])) }
            Self.put16(&t, o + 0x7C, UInt16(crc & 0xffff))
            if hasHigh { Self.put16(&t, o + 0x82, UInt16(crc >> 16)) }
        }
        return t.withUnsafeBytes { now in before.withUnsafeBytes { memcmp(now.baseAddress! + o, $0.baseAddress!, layout.inodeSize) != 0 } }
    }

    static func layout(_ fd: Int32, path: String, offset: Int64) throws -> Layout {
        let sb = try pread(fd, count: 1024, at: offset + 1024, path: path)
        guard u16(sb, 56) == 0xEF53 else {
            throw ImageError.verificationFailed(path: path, problem: "not an ext2/3/4 filesystem")
        }
        let blockSize = 1024 << Int(u32(sb, 24))
        let revision = u32(sb, 76)
        let inodeSize = revision == 0 ? 128 : Int(u16(sb, 88))
        let incompat = u32(sb, 96), roCompat = u32(sb, 100)
        let is64 = incompat & 0x80 != 0
        var blocks = Int64(u32(sb, 4))
        if is64 { blocks |= Int64(u32(sb, 0x150)) << 32 }
        let firstData = Int64(u32(sb, 20))
        let perGroup = Int64(u32(sb, 32))
        let groups = Int((blocks - firstData + perGroup - 1) / perGroup)
        let descSize = is64 ? Int(u16(sb, 254)) : 32
        let metadataCsum = roCompat & 0x400 != 0
        var seed: UInt32 = 0
        if metadataCsum {
            seed = incompat & 0x2000 != 0 ? u32(sb, 0x270) : CRC32C.update(0xFFFF_FFFF, Array(sb[104..<120]))
        }
        return Layout(blockSize: blockSize, inodeSize: inodeSize, inodesPerGroup: Int(u32(sb, 40)), groups: groups,
                      descriptorSize: max(32, descSize), descriptorTable: (firstData + 1) * Int64(blockSize),
                      metadataChecksums: metadataCsum, checksumSeed: seed)
    }

    // MARK: - little-endian helpers

    static func pread(_ fd: Int32, count: Int, at offset: Int64, path: String) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buf.withUnsafeMutableBytes { Foundation.pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BasicsError.io(path: path, operation: "read at \(offset)", errno: n == 0 ? EIO : errno) }
            done += n
        }
        return buf
    }

    static func u16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
    static func put16(_ b: inout [UInt8], _ o: Int, _ v: UInt16) { b[o] = UInt8(v & 0xff); b[o + 1] = UInt8(v >> 8) }
    static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
        for i in 0..<4 { b[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
    }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
}
