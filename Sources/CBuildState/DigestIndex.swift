import CBuildBasics
import Foundation

/// The digest cache's entries as one sorted binary image, stored in the
/// state database as a single value (`digest_index`, written in the same
/// transaction as the `file_digest` rows it mirrors). A command reads it
/// with one query and looks paths up by binary search in place: reading
/// ~10,000 rows into a dictionary cost a no-op build ~20 ms, this costs
/// well under one. It is a cache of a cache: entries validate themselves
/// by stat data as rows do, and a missing or malformed image is rebuilt
/// from the rows.
///
/// Layout (little-endian): the 8-byte magic `cbdigix1`, the entry count
/// (UInt32) and 4 reserved bytes; then per entry, sorted by path bytes,
/// the path's offset and length in the string area (UInt32 each), device,
/// inode, size, mtime ns, ctime ns and hash time ns (Int64 each) and the
/// 32-byte SHA-256; then the string area (paths as stored: relative to the
/// build directory when under it).
struct DigestIndex: Sendable {
    static let magic: [UInt8] = Array("cbdigix1".utf8)
    static let headerSize = 16
    static let recordSize = 8 + 6 * 8 + 32

    struct Entry: Equatable {
        var device: Int64, inode: Int64, size: Int64, mtimeNs: Int64, ctimeNs: Int64, hashedAtNs: Int64
        var digest: Digest

        /// Whether the file as stat'ed now is the file this entry hashed.
        func matches(_ st: FileStat) -> Bool {
            device == Int64(bitPattern: st.device) && inode == Int64(bitPattern: st.inode)
                && size == st.size && mtimeNs == st.mtimeNs && ctimeNs == st.ctimeNs
        }
    }

    private let bytes: [UInt8]
    let count: Int
    private let stringsStart: Int

    /// Checks the image's structure; nil when it is not one (wrong magic,
    /// truncated, a path outside the string area, or out of order).
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= Self.headerSize, bytes.starts(with: Self.magic) else { return nil }
        let count = Int(Self.u32(bytes, 8))
        let stringsStart = Self.headerSize + count * Self.recordSize
        guard stringsStart <= bytes.count else { return nil }
        self.bytes = bytes; self.count = count; self.stringsStart = stringsStart
        var previous: (Int, Int)?
        for i in 0..<count {
            let (offset, length) = pathRange(i)
            guard offset >= stringsStart, offset + length <= bytes.count else { return nil }
            if let previous, Self.compare(bytes, previous, bytes, (offset, length)) >= 0 { return nil }
            previous = (offset, length)
        }
    }

    /// Builds the image of `entries` (stored path → entry).
    static func encode(_ entries: [(path: [UInt8], entry: Entry)]) -> [UInt8] {
        var kept: [(path: [UInt8], entry: Entry)] = []
        for e in entries.sorted(by: { $0.path.lexicographicallyPrecedes($1.path) }) where kept.last?.path != e.path {
            kept.append(e)   // of equal paths, the first given
        }
        var out = magic
        out.reserveCapacity(headerSize + kept.count * recordSize + kept.reduce(0) { $0 + $1.path.count })
        append(&out, UInt32(kept.count)); append(&out, UInt32(0))
        var offset = headerSize + kept.count * recordSize
        for e in kept {
            append(&out, UInt32(offset)); append(&out, UInt32(e.path.count))
            for v in [e.entry.device, e.entry.inode, e.entry.size, e.entry.mtimeNs, e.entry.ctimeNs, e.entry.hashedAtNs] {
                append(&out, UInt64(bitPattern: v))
            }
            out += e.entry.digest.bytes
            offset += e.path.count
        }
        for e in kept { out += e.path }
        return out
    }

    /// The entry stored for `path` (stored form), by binary search.
    func entry(for path: UnsafeBufferPointer<UInt8>) -> Entry? {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = bytes.withUnsafeBufferPointer { all in Self.compare(all, pathRange(mid), path) }
            if c == 0 { return entry(at: mid) }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Every entry with its stored path, in path order.
    func all() -> [(path: [UInt8], entry: Entry)] {
        (0..<count).map { i in
            let (offset, length) = pathRange(i)
            return (Array(bytes[offset..<(offset + length)]), entry(at: i))
        }
    }

    private func entry(at i: Int) -> Entry {
        let r = Self.headerSize + i * Self.recordSize + 8
        func v(_ k: Int) -> Int64 { Int64(bitPattern: Self.u64(bytes, r + 8 * k)) }
        return Entry(device: v(0), inode: v(1), size: v(2), mtimeNs: v(3), ctimeNs: v(4), hashedAtNs: v(5),
                     digest: Digest(algorithm: .sha256, bytes: Array(bytes[(r + 48)..<(r + 80)])))
    }

    private func pathRange(_ i: Int) -> (Int, Int) {
        let r = Self.headerSize + i * Self.recordSize
        return (Int(Self.u32(bytes, r)), Int(Self.u32(bytes, r + 4)))
    }

    private static func compare(_ a: [UInt8], _ ra: (Int, Int), _ b: [UInt8], _ rb: (Int, Int)) -> Int {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                compare(pa, ra, UnsafeBufferPointer(rebasing: pb[rb.0..<(rb.0 + rb.1)]))
            }
        }
    }

    /// Orders the path at `range` of `all` against `key` like
    /// `lexicographicallyPrecedes` (bytes unsigned, a prefix first).
    private static func compare(_ all: UnsafeBufferPointer<UInt8>, _ range: (Int, Int), _ key: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(range.1, key.count)
        if n > 0 {
            let c = memcmp(all.baseAddress! + range.0, key.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return range.1 - key.count
    }

    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in (0..<8).reversed() { v = v << 8 | UInt64(b[at + k]) }
        return v
    }

    private static func append(_ out: inout [UInt8], _ v: UInt32) {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private static func append(_ out: inout [UInt8], _ v: UInt64) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }
}
