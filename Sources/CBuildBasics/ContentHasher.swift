import CLibCrypto
import Foundation

/// Streaming hashing through OpenSSL libcrypto (EVP). One hasher per stream;
/// not thread-safe, cheap to create.
public final class ContentHasher {
    private let ctx: OpaquePointer
    public let algorithm: Digest.Algorithm
    private var finished = false

    public init(_ algorithm: Digest.Algorithm) {
        self.algorithm = algorithm
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.ctx = ctx
        let md: OpaquePointer?
        switch algorithm {
        case .sha256: md = EVP_sha256()
        case .sha512: md = EVP_sha512()
        case .blake2b512: md = EVP_blake2b512()
        case .md5: md = EVP_md5()
        }
        guard EVP_DigestInit_ex(ctx, md, nil) == 1 else { fatalError("EVP_DigestInit_ex failed for \(algorithm)") }
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ buffer: UnsafeRawBufferPointer) {
        precondition(!finished, "update after finalize")
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, buffer.count)
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }
    public func update(_ data: Data) { data.withUnsafeBytes { update($0) } }
    public func update(_ string: String) { update(Array(string.utf8)) }

    public func finalize() -> Digest {
        precondition(!finished, "finalize twice")
        finished = true
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        return Digest(algorithm: algorithm, bytes: Array(out.prefix(Int(len))))
    }

    /// One-shot digest of in-memory bytes.
    public static func digest(_ algorithm: Digest.Algorithm, _ bytes: [UInt8]) -> Digest {
        let h = ContentHasher(algorithm); h.update(bytes); return h.finalize()
    }

    public static func digest(_ algorithm: Digest.Algorithm, _ string: String) -> Digest {
        digest(algorithm, Array(string.utf8))
    }

    /// Size of each read when hashing files: large reads keep libcrypto busy
    /// and syscalls few (multi-GB tarballs are read in 1 MiB blocks).
    public static let readSize = 1 << 20

    /// Streams a file through one or more hashers in a single pass, never
    /// holding more than one read buffer in memory.
    public static func digestFile(at path: String, algorithms: [Digest.Algorithm]) throws -> [Digest] {
        try digestFileAndStat(at: path, algorithms: algorithms).digests
    }

    /// As `digestFile`, with the stat of the file that was read, taken from
    /// its descriptor after the last read: what the bytes were read from,
    /// even if the path was renamed over meanwhile (the digest cache keys
    /// its entry by it; a path that now names another file stats differently).
    public static func digestFileAndStat(at path: String, algorithms: [Digest.Algorithm]) throws -> (digests: [Digest], stat: FileStat) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        // A small file is read in one go into a buffer of its size: a 1 MiB
        // buffer is mapped and unmapped by malloc on every call, and on a
        // first build that hashes 10,000 small inputs on several threads
        // those unmaps (each a TLB shootdown) cost more than the reads.
        var st = stat()
        let size = fstat(fd, &st) == 0 ? Int(st.st_size) : readSize
        let bufferSize = size < readSize ? max(4096, (size + 4096) & ~4095) : readSize
        #if os(Linux)
        if bufferSize == readSize { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }
        #endif
        let hashers = algorithms.map { ContentHasher($0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, bufferSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw BasicsError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
            for h in hashers { h.update(chunk) }
        }
        return (hashers.map { $0.finalize() }, try FileStat.of(descriptor: fd, path: path))
    }

    public static func digestFile(at path: String, _ algorithm: Digest.Algorithm = .sha256) throws -> Digest {
        try digestFile(at: path, algorithms: [algorithm])[0]
    }
}
