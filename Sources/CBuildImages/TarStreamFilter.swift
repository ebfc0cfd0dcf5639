import Foundation

/// Reads a tar stream once, records every member's metadata in a
/// `StageManifest`, and passes the stream on to `tar -x` without the
/// members an unprivileged user cannot create (character and block
/// devices; they are made inside the filesystem image instead). Knows
/// ustar, GNU long names and old-style sparse members, and pax records
/// (path, linkpath, size, uid, gid, mtime, `SCHILY.xattr.*`). Member names
/// with a `..` component are refused.
final class TarStreamFilter {
    private let input: Int32
    private let output: Int32
    private let shouldStop: () -> Bool
    private(set) var manifest = StageManifest()

    /// Raw buffers: gigabytes pass through here, one memcpy each way.
    private static let capacity = 1 << 20
    private let inBuffer = UnsafeMutableRawPointer.allocate(byteCount: TarStreamFilter.capacity, alignment: 16)
    private var inStart = 0, inEnd = 0
    private let outBuffer = UnsafeMutableRawPointer.allocate(byteCount: TarStreamFilter.capacity, alignment: 16)
    private var outCount = 0
    private var eof = false

    init(input: Int32, output: Int32, shouldStop: @escaping () -> Bool = { false }) {
        self.input = input; self.output = output; self.shouldStop = shouldStop
    }

    deinit {
        inBuffer.deallocate()
        outBuffer.deallocate()
    }

    /// Thrown when the run was interrupted while streaming.
    struct Interrupted: Error {}

    func run() throws {
        var pending: [UInt8] = []
        var pax: [(String, [UInt8])] = []
        var global: [(String, [UInt8])] = []
        var longName: String?, longLink: String?
        while let header = try readBlock() {
            if header.allSatisfy({ $0 == 0 }) {
                try emit(header)
                try passRest()
                try flush()
                return
            }
            try Self.checkChecksum(header)
            let type = header[156]
            var size = Self.number(header, 124, 12)
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let data = try readData(size)
                let records = try Self.paxRecords(data)
                if type == UInt8(ascii: "g") {
                    global += records
                    try emit(header); try emit(data)
                } else {
                    pax += records
                    pending += header; pending += data
                }
                continue
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                let data = try readData(size)
                let text = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                if type == UInt8(ascii: "L") { longName = text } else { longLink = text }
                pending += header; pending += data
                continue
            default: break
            }
            let records = global + pax
            func record(_ key: String) -> String? {
                records.last { $0.0 == key }.map { String(decoding: $0.1, as: UTF8.self) }
            }
            if let s = record("size"), let v = Int64(s) { size = v }
            let rawName = record("path") ?? longName ?? Self.ustarName(header)
            let rawLink = record("linkpath") ?? longLink ?? Self.string(header, 157, 100)
            let path = try Self.normalize(rawName)
            var entry = ArchiveEntry(
                path: path, kind: try Self.kind(type, name: rawName),
                mode: UInt32(truncatingIfNeeded: Self.number(header, 100, 8)) & 0o7777,
                uid: record("uid").flatMap { UInt32($0) } ?? UInt32(truncatingIfNeeded: Self.number(header, 108, 8)),
                gid: record("gid").flatMap { UInt32($0) } ?? UInt32(truncatingIfNeeded: Self.number(header, 116, 8)),
                mtime: record("mtime").flatMap { Int64($0.split(separator: ".").first ?? "") } ?? Self.number(header, 136, 12),
                size: record("GNU.sparse.realsize").flatMap { Int64($0) } ?? size,
                linkTarget: rawLink,
                deviceMajor: UInt32(truncatingIfNeeded: Self.number(header, 329, 8)),
                deviceMinor: UInt32(truncatingIfNeeded: Self.number(header, 337, 8)),
                // Sorted by name: the pax records are a dictionary, whose order
                // varies between instances, and `ea_set` order shapes the image.
                xattrs: records.compactMap { key, value in
                    key.hasPrefix("SCHILY.xattr.") ? ArchiveEntry.Xattr(name: String(key.dropFirst(13)), value: value) : nil
                }.sorted { $0.name < $1.name })
            if entry.kind == .hardLink { entry.linkTarget = try Self.normalize(rawLink) }
            // Old GNU sparse members carry extension headers after the header.
            var extensions: [UInt8] = []
            if type == UInt8(ascii: "S") && header[482] != 0 {
                while true {
                    guard let ext = try readBlock() else { throw truncated(path) }
                    extensions += ext
                    if ext[504] == 0 { break }
                }
            }
            let keep = !entry.needsPrivilege
            if keep { try emit(pending); try emit(header); try emit(extensions) }
            try copyData(size, keep: keep)
            manifest.add(entry)
            pending = []; pax = []; longName = nil; longLink = nil
        }
        throw ImageError.badArchiveEntry(path: "(end)", problem: "the archive ends without an end-of-archive block (truncated?)")
    }

    private func truncated(_ path: String) -> ImageError {
        .badArchiveEntry(path: path, problem: "the archive is truncated")
    }

    // MARK: - reading and writing

    private func fill() throws {
        if shouldStop() { throw Interrupted() }
        if inStart > 0 {
            memmove(inBuffer, inBuffer + inStart, inEnd - inStart)
            inEnd -= inStart; inStart = 0
        }
        while inEnd < Self.capacity {
            let n = read(input, inBuffer + inEnd, Self.capacity - inEnd)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.badArchiveEntry(path: "(stream)", problem: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true; break }
            inEnd += n
            if inEnd - inStart >= 512 { break }
        }
    }

    private func readBlock() throws -> [UInt8]? {
        if inEnd - inStart < 512 && !eof { try fill() }
        if inEnd - inStart < 512 { return nil }
        defer { inStart += 512 }
        return Array(UnsafeRawBufferPointer(start: inBuffer + inStart, count: 512))
    }

    /// The data blocks of an extension header (`size` rounded up to 512), held in memory.
    private func readData(_ size: Int64) throws -> [UInt8] {
        guard size >= 0, size < 1 << 30 else { throw ImageError.badArchiveEntry(path: "(header)", problem: "bad extension header size \(size)") }
        var out: [UInt8] = []
        try moveData(size) { out.append(contentsOf: UnsafeRawBufferPointer(start: $0, count: $1)) }
        return out
    }

    /// Streams a member's data blocks to tar (`keep`) or drops them, never holding a whole member.
    private func copyData(_ size: Int64, keep: Bool) throws {
        guard size >= 0 else { throw ImageError.badArchiveEntry(path: "(header)", problem: "negative size") }
        try moveData(size) { pointer, count in if keep { try emit(pointer, count) } }
    }

    private func moveData(_ size: Int64, _ sink: (UnsafeRawPointer, Int) throws -> Void) throws {
        var remaining = (size + 511) / 512 * 512
        while remaining > 0 {
            if inEnd == inStart { try fill(); if inEnd == inStart { throw truncated("(data)") } }
            let n = Int(min(remaining, Int64(inEnd - inStart)))
            try sink(UnsafeRawPointer(inBuffer + inStart), n)
            inStart += n; remaining -= Int64(n)
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { if let base = $0.baseAddress { try emit(base, $0.count) } }
    }

    private func emit(_ pointer: UnsafeRawPointer, _ count: Int) throws {
        var p = pointer, n = count
        while n > 0 {
            if outCount == Self.capacity { try flush() }
            let k = min(n, Self.capacity - outCount)
            memcpy(outBuffer + outCount, p, k)
            outCount += k; p += k; n -= k
        }
    }

    private func flush() throws {
        var offset = 0
        while offset < outCount {
            let n = write(output, outBuffer + offset, outCount - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.badArchiveEntry(path: "(stream)", problem: "tar stopped reading: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        outCount = 0
    }

    /// After the end-of-archive block: copy whatever follows unchanged.
    private func passRest() throws {
        while true {
            if inStart < inEnd { try emit(UnsafeRawPointer(inBuffer + inStart), inEnd - inStart); inStart = inEnd }
            try flush()
            if eof { return }
            try fill()
            if inStart == inEnd && eof { return }
        }
    }

    // MARK: - header fields

    static func string(_ h: [UInt8], _ offset: Int, _ length: Int) -> String {
        String(decoding: h[offset..<offset + length].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Octal (NUL/space padded) or base-256 (high bit of the first byte set).
    static func number(_ h: [UInt8], _ offset: Int, _ length: Int) -> Int64 {
        let field = h[offset..<offset + length]
        if let first = field.first, first & 0x80 != 0 {
            var v = Int64(first & 0x7f)
            for b in field.dropFirst() { v = (v << 8) | Int64(b) }
            return v
        }
        var v: Int64 = 0
        var started = false
        for b in field {
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") { v = v * 8 + Int64(b - UInt8(ascii: "0")); started = true }
            else if started || (b != UInt8(ascii: " ") && b != 0) { break }
        }
        return v
    }

    static func checkChecksum(_ h: [UInt8]) throws {
        var sum: Int64 = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : Int64(b) }
        guard sum == number(h, 148, 8) else {
            throw ImageError.badArchiveEntry(path: string(h, 0, 100), problem: "header checksum mismatch: not a tar archive, or a corrupt one")
        }
    }

    static func ustarName(_ h: [UInt8]) -> String {
        let name = string(h, 0, 100)
        let isPosix = h[257..<263].elementsEqual(Array("ustar\0".utf8))
        let prefix = isPosix ? string(h, 345, 155) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    static func kind(_ type: UInt8, name: String) throws -> ArchiveEntry.Kind {
        switch type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"), UInt8(ascii: "S"): return .file
        case UInt8(ascii: "1"): return .hardLink
        case UInt8(ascii: "2"): return .symlink
        case UInt8(ascii: "3"): return .characterDevice
        case UInt8(ascii: "4"): return .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): return .directory
        case UInt8(ascii: "6"): return .fifo
        default:
            throw ImageError.badArchiveEntry(path: name, problem: "unsupported tar member type '\(Character(UnicodeScalar(type)))'")
        }
    }

    /// `./usr//bin/` → `usr/bin`; `./` → ""; `..` anywhere is refused.
    static func normalize(_ name: String) throws -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") {
            throw ImageError.badArchiveEntry(path: name, problem: "the name has a '..' component and would leave the tree")
        }
        return parts.joined(separator: "/")
    }

    /// pax records: `LEN KEY=VALUE\n`, values binary-safe.
    static func paxRecords(_ data: [UInt8]) throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        var i = 0
        while i < data.count && data[i] != 0 {
            var j = i
            var len = 0
            while j < data.count && data[j] >= UInt8(ascii: "0") && data[j] <= UInt8(ascii: "9") {
                len = len * 10 + Int(data[j] - UInt8(ascii: "0")); j += 1
            }
            guard j < data.count, data[j] == UInt8(ascii: " "), len > 0, i + len <= data.count else {
                throw ImageError.badArchiveEntry(path: "(pax header)", problem: "malformed pax record")
            }
            let body = data[(j + 1)..<(i + len - 1)]   // without the trailing newline
            guard let eq = body.firstIndex(of: UInt8(ascii: "=")) else {
                throw ImageError.badArchiveEntry(path: "(pax header)", problem: "pax record without '='")
            }
            out.append((String(decoding: body[body.startIndex..<eq], as: UTF8.self), Array(body[(eq + 1)...])))
            i += len
        }
        return out
    }
}
