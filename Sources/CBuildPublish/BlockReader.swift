import CBuildBasics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads an image file in fixed-size blocks and says which hold data:
/// holes of a sparse file are skipped with `SEEK_DATA` without reading
/// them, and blocks read as all zeros are skipped too. A last partial block
/// is padded with zeros (cbuild's images are whole MiB, so it never is).
public final class BlockReader: @unchecked Sendable {
    public let path: String
    public let blockSize: Int
    public let size: Int64
    private let fd: Int32
    private var next: Int64 = 0

    public init(path: String, blockSize: Int) throws(PublishError) {
        self.path = path; self.blockSize = blockSize
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .image(path: path, problem: "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw .image(path: path, problem: "cannot stat") }
        size = Int64(st.st_size)
    }

    deinit { close(fd) }

    public var blockCount: Int { Int((size + Int64(blockSize) - 1) / Int64(blockSize)) }

    /// How far the scan has come, in bytes.
    public var position: Int64 { min(next * Int64(blockSize), size) }

    /// The next block holding a non-zero byte, or nil at the end.
    public func nextDataBlock() throws(PublishError) -> (index: Int, bytes: [UInt8])? {
        let bs = Int64(blockSize)
        var buffer = [UInt8](repeating: 0, count: blockSize)
        while next * bs < size {
            let offset = next * bs
            let data = lseek(fd, off_t(offset), Self.seekData)
            if data < 0 {
                if errno == ENXIO { next = Int64(blockCount); return nil }   // only a hole is left
            } else if Int64(data) >= offset + bs {
                next = Int64(data) / bs
                continue
            }
            let want = Int(min(bs, size - offset))
            var got = 0
            while got < want {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want - got, off_t(offset) + off_t(got)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw .image(path: path, problem: "read failed at byte \(offset + Int64(got))") }
                got += n
            }
            if want < blockSize { for i in want..<blockSize { buffer[i] = 0 } }
            let index = Int(next)
            next += 1
            if !Self.isZero(buffer) { return (index, buffer) }
        }
        return nil
    }

    /// Linux's SEEK_DATA (not exported to Swift by Glibc).
    static let seekData: Int32 = 3

    static func isZero(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            var acc: UInt64 = 0
            for w in words { acc |= w }
            return acc == 0
        }
    }
}
