import Foundation

/// Writes a valid .xz file whose LZMA2 data is made of *uncompressed*
/// chunks: the container xz, tar -J and pixz read, at the speed of a copy.
/// The payload knob uses it, because xz takes minutes to find nothing to
/// compress in a gigabyte of random bytes. Layout (xz file format 1.1.0):
/// stream header (CRC32 check), one block (one LZMA2 filter, 1 MiB
/// dictionary; chunks of at most 64 KiB, each a control byte — 1 for the
/// first, which resets the dictionary, 2 after — and the size minus one,
/// big-endian), the end marker, padding, the CRC32 of the data, the index
/// (one record) and the stream footer. The same input gives the same bytes.
struct StoredXZWriter {
    static let chunkSize = 1 << 16
    /// CRC32 in the stream flags (check ID 1).
    private static let streamFlags: [UInt8] = [0x00, 0x01]
    /// Header size byte 2 (12 bytes), no optional sizes, one filter:
    /// LZMA2 (0x21) with one property byte (16: a 1 MiB dictionary), padding.
    private static let blockHeaderBody: [UInt8] = [0x02, 0x00, 0x21, 0x01, 16, 0x00, 0x00, 0x00]

    private let fd: Int32
    private let path: String
    private var check = CRC32()
    private var uncompressed: Int64 = 0
    /// LZMA2 bytes so far: chunk headers and data.
    private var compressed: Int64 = 0
    private var output: [UInt8] = []

    /// Starts the stream on `fd` (open for writing); `path` is for messages.
    init(fd: Int32, path: String) throws {
        self.fd = fd
        self.path = path
        var header: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00] + Self.streamFlags
        header += Self.littleEndian(CRC32.of(Self.streamFlags))
        header += Self.blockHeaderBody + Self.littleEndian(CRC32.of(Self.blockHeaderBody))
        try writeAll(header)
    }

    /// Appends `bytes` as uncompressed chunks.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        check.update(bytes)
        output.removeAll(keepingCapacity: true)
        output.reserveCapacity(bytes.count + (bytes.count / Self.chunkSize + 1) * 3)
        var offset = 0
        while offset < bytes.count {
            let n = min(Self.chunkSize, bytes.count - offset)
            output += [uncompressed == 0 && offset == 0 ? 0x01 : 0x02, UInt8((n - 1) >> 8), UInt8((n - 1) & 0xFF)]
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
            offset += n
        }
        uncompressed += Int64(bytes.count)
        compressed += Int64(output.count)
        try writeAll(output)
    }

    /// Ends the block and writes the index and the footer.
    mutating func finish() throws {
        compressed += 1 // the LZMA2 end marker
        var tail: [UInt8] = [0x00]
        tail += [UInt8](repeating: 0, count: Int((4 - compressed % 4) % 4))
        tail += Self.littleEndian(check.value)
        let unpadded = Int64(Self.blockHeaderBody.count + 4) + compressed + 4
        var index: [UInt8] = [0x00] + Self.multibyte(1) + Self.multibyte(unpadded) + Self.multibyte(uncompressed)
        index += [UInt8](repeating: 0, count: (4 - index.count % 4) % 4)
        index += Self.littleEndian(CRC32.of(index))
        let backward = Self.littleEndian(UInt32(index.count / 4 - 1)) + Self.streamFlags
        tail += index + Self.littleEndian(CRC32.of(backward)) + backward + [0x59, 0x5A]
        try writeAll(tail)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SimFailure.python(PythonException("OSError", "[Errno \(errno)] \(String(cString: strerror(errno))): '\(path)'"))
                }
                offset += n
            }
        }
    }

    private static func littleEndian(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    /// The format's variable-length integer: 7 bits a byte, low bits first.
    private static func multibyte(_ value: Int64) -> [UInt8] {
        var v = UInt64(value)
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }
}
