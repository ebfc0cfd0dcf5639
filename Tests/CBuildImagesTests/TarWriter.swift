import Foundation

/// Writes tar archives in the tests, byte by byte, so a synthetic stage4
/// can hold what an unprivileged test cannot create on disk: files owned by
/// other users, device nodes, xattrs (pax `SCHILY.xattr.*`), long names.
struct TarWriter {
    /// One archive member as the test describes it.
    struct Member {
        /// The member's type and its payload.
        enum Kind { case file([UInt8]), directory, symlink(String), hardLink(String), characterDevice(UInt32, UInt32), fifo }
        var path: String
        var kind: Kind
        var mode: UInt32 = 0o644
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var mtime: Int64 = 1_700_000_000
        var xattrs: [(String, [UInt8])] = []
    }

    private(set) var bytes: [UInt8] = []

    mutating func add(_ m: Member) {
        var pax: [(String, [UInt8])] = m.xattrs.map { ("SCHILY.xattr." + $0.0, $0.1) }
        var name = m.path
        if Array(name.utf8).count > 99 { pax.insert(("path", Array(name.utf8)), at: 0); name = String(name.prefix(90)) }
        if !pax.isEmpty {
            var data: [UInt8] = []
            for (k, v) in pax {
                let body = Array(" \(k)=".utf8) + v + [10]
                var len = body.count + 1
                while String(len).count + body.count != len { len = String(len).count + body.count }
                data += Array(String(len).utf8) + body
            }
            bytes += header(name: "PaxHeaders/x", type: "x", size: data.count, mode: 0o644, uid: 0, gid: 0, mtime: m.mtime)
            bytes += padded(data)
        }
        switch m.kind {
        case let .file(content):
            bytes += header(name: name, type: "0", size: content.count, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime)
            bytes += padded(content)
        case .directory:
            bytes += header(name: name.hasSuffix("/") ? name : name + "/", type: "5", size: 0, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime)
        case let .symlink(target):
            bytes += header(name: name, type: "2", size: 0, mode: 0o777, uid: m.uid, gid: m.gid, mtime: m.mtime, link: target)
        case let .hardLink(target):
            bytes += header(name: name, type: "1", size: 0, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime, link: target)
        case let .characterDevice(major, minor):
            bytes += header(name: name, type: "3", size: 0, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime, major: major, minor: minor)
        case .fifo:
            bytes += header(name: name, type: "6", size: 0, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime)
        }
    }

    /// The archive with its two end blocks.
    var archive: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    private func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    private func header(name: String, type: Character, size: Int, mode: UInt32, uid: UInt32, gid: UInt32, mtime: Int64,
                        link: String = "", major: UInt32 = 0, minor: UInt32 = 0) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ offset: Int, _ length: Int) {
            for (i, b) in Array(s.utf8).prefix(length).enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int64, _ offset: Int, _ length: Int) {
            put(String(String(v, radix: 8).leftPad(length - 1)), offset, length - 1)
        }
        put(name, 0, 100)
        octal(Int64(mode), 100, 8); octal(Int64(uid), 108, 8); octal(Int64(gid), 116, 8)
        octal(Int64(size), 124, 12); octal(mtime, 136, 12)
        h[156] = type.asciiValue!
        put(link, 157, 100)
        put("ustar\0", 257, 6); put("00", 263, 2)
        octal(Int64(major), 329, 8); octal(Int64(minor), 337, 8)
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int64($1) }
        put(String(String(sum, radix: 8).leftPad(6)) + "\0 ", 148, 8)
        return h
    }
}

private extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
