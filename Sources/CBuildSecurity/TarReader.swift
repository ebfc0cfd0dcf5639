import Foundation

/// Walks a tar stream from a file descriptor once, in constant memory: for
/// each member the visitor sees its normalised path (no leading `./`), type
/// and size, and may ask for its contents (up to a limit); everything else
/// is read past in 1 MiB slices. Knows ustar (with prefix), GNU long names
/// (`L`) and pax headers (`path`, `size`), which is what catalyst's tar and
/// GNU tar write. Used for stage tarballs and flavour-3 snapshots.
final class TarReader {
    /// One member header.
    struct Member {
        var path: String
        /// The tar type flag ("0" regular, "5" directory, "2" symlink, …).
        var type: UInt8
        var size: Int64
        var isRegularFile: Bool { type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7") }
    }

    /// A stream that ended inside a member or a header whose checksum is wrong.
    struct Malformed: Error, CustomStringConvertible { let description: String }

    private let fd: Int32
    private static let capacity = 1 << 20
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: TarReader.capacity, alignment: 16)
    private var start = 0, end = 0
    /// Bytes consumed from the stream so far.
    private(set) var offset: Int64 = 0

    init(fd: Int32) { self.fd = fd }
    deinit { buffer.deallocate() }

    /// Calls `visit` for every member; it returns how many bytes of the
    /// member it wants (0: none), and gets them through `contents`.
    func walk(_ visit: (Member) throws -> Int, contents: (Member, [UInt8]) throws -> Void) throws {
        var longName: String?
        var paxPath: String?, paxSize: Int64?
        while true {
            guard let header = try read(512, allowEOF: true) else { return }
            if header.allSatisfy({ $0 == 0 }) { return }
            guard Self.checksumOK(header) else {
                throw Malformed(description: "bad tar header checksum at byte \(offset - 512)")
            }
            let type = header[156]
            var size = Self.number(header, 124, 12)
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let data = try readMember(size, keep: Int(min(size, 1 << 20)))
                if type == UInt8(ascii: "x") {
                    for (k, v) in Self.paxRecords(data) {
                        if k == "path" { paxPath = v }
                        if k == "size", let n = Int64(v) { paxSize = n }
                    }
                }
                continue
            case UInt8(ascii: "L"):
                let data = try readMember(size, keep: Int(min(size, 1 << 16)))
                longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "K"):
                _ = try readMember(size, keep: 0)
                continue
            default: break
            }
            if let paxSize { size = paxSize }
            var path = paxPath ?? longName ?? Self.ustarName(header)
            longName = nil; paxPath = nil; paxSize = nil
            while path.hasPrefix("./") { path.removeFirst(2) }
            while path.hasPrefix("/") { path.removeFirst() }
            let member = Member(path: path, type: type, size: type == UInt8(ascii: "5") || type == UInt8(ascii: "2") || type == UInt8(ascii: "1") ? 0 : size)
            let want = try visit(member)
            let data = try readMember(member.size, keep: min(want, Int(clamping: member.size)))
            if want > 0 { try contents(member, data) }
        }
    }

    /// Reads a member's data (rounded up to 512) and keeps its first `keep` bytes.
    private func readMember(_ size: Int64, keep: Int) throws -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(keep)
        var remaining = (size + 511) / 512 * 512
        var dataLeft = size
        while remaining > 0 {
            try fill()
            let n = Int(min(Int64(end - start), remaining))
            if kept.count < keep && dataLeft > 0 {
                let take = min(n, keep - kept.count, Int(clamping: dataLeft))
                kept.append(contentsOf: UnsafeRawBufferPointer(start: buffer + start, count: take))
            }
            dataLeft -= Int64(n)
            start += n; remaining -= Int64(n); offset += Int64(n)
        }
        return kept
    }

    private func read(_ count: Int, allowEOF: Bool) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if start == end {
                if try !refill() {
                    if out.isEmpty && allowEOF { return nil }
                    throw Malformed(description: "the tar stream ends inside a header at byte \(offset)")
                }
            }
            let n = min(end - start, count - out.count)
            out.append(contentsOf: UnsafeRawBufferPointer(start: buffer + start, count: n))
            start += n; offset += Int64(n)
        }
        return out
    }

    private func fill() throws {
        if start == end, try !refill() {
            throw Malformed(description: "the tar stream ends inside a member at byte \(offset)")
        }
    }

    private func refill() throws -> Bool {
        start = 0; end = 0
        while true {
            let n = Foundation.read(fd, buffer, TarReader.capacity)
            if n > 0 { end = n; return true }
            if n == 0 { return false }
            if errno == EINTR { continue }
            throw Malformed(description: "read failed: \(String(cString: strerror(errno)))")
        }
    }

    static func checksumOK(_ h: [UInt8]) -> Bool {
        var sum = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        return Int64(sum) == number(h, 148, 8)
    }

    /// Octal, or base-256 when the high bit of the first byte is set.
    static func number(_ h: [UInt8], _ at: Int, _ length: Int) -> Int64 {
        let field = h[at..<(at + length)]
        if let first = field.first, first & 0x80 != 0 {
            var v: Int64 = Int64(first & 0x7f)
            for b in field.dropFirst() { v = v << 8 | Int64(b) }
            return v
        }
        var v: Int64 = 0
        for b in field {
            if b == 0 || b == 32 { if v > 0 { break } else { continue } }
            guard b >= 48 && b <= 55 else { break }
            v = v * 8 + Int64(b - 48)
        }
        return v
    }

    static func string(_ h: [UInt8], _ at: Int, _ length: Int) -> String {
        String(decoding: h[at..<(at + length)].prefix { $0 != 0 }, as: UTF8.self)
    }

    static func ustarName(_ h: [UInt8]) -> String {
        let name = string(h, 0, 100)
        let magic = string(h, 257, 6)
        if magic.hasPrefix("ustar") && magic != "ustar " {
            let prefix = string(h, 345, 155)
            if !prefix.isEmpty { return prefix + "/" + name }
        }
        return name
    }

    /// `LEN key=value\n` records.
    static func paxRecords(_ data: [UInt8]) -> [(String, String)] {
        var out: [(String, String)] = []
        var i = 0
        while i < data.count {
            var j = i
            while j < data.count && data[j] != 32 { j += 1 }
            guard j < data.count, let len = Int(String(decoding: data[i..<j], as: UTF8.self)), len > 0,
                  i + len <= data.count else { break }
            let record = data[(j + 1)..<(i + len - 1)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                out.append((String(decoding: record[..<eq], as: UTF8.self),
                            String(decoding: record[(eq + 1)...], as: UTF8.self)))
            }
            i += len
        }
        return out
    }
}
