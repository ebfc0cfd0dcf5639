import Foundation

/// The `CATALYST_SIM_PAYLOAD_MB` file: n MiB of pseudo-random bytes put
/// into the stage root so the stage tarball has a real size (a 1 GB stage
/// for benchmarks) without compiling anything. The bytes come from
/// SplitMix64 seeded with the build name, so the same build gives the same
/// bytes (reproducibility holds) and xz finds nothing to compress in them.
enum StagePayload {
    /// Where the file lands inside the stage.
    static let relativePath = "usr/share/catalyst-sim/payload.bin"

    static func write(root: String, mib: Int, seed name: String) throws {
        let path = root + "/" + relativePath
        try FileOps.ensureDirs((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path) }
        defer { close(fd) }
        // FNV-1a of the name as the seed.
        var state = name.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        var block = [UInt64](repeating: 0, count: (1 << 20) / 8)
        for _ in 0..<mib {
            for i in block.indices {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                block[i] = (z ^ (z >> 31)).littleEndian
            }
            try block.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 { if errno == EINTR { continue }; throw failure(path) }
                    offset += n
                }
            }
        }
    }

    private static func failure(_ path: String) -> SimFailure {
        SimFailure.python(PythonException("OSError", "[Errno \(errno)] \(String(cString: strerror(errno))): '\(path)'"))
    }
}
