/// The 512-byte footer at the end of a VHD (Microsoft's Virtual Hard Disk
/// format, big-endian): what Azure checks — a fixed disk whose current size
/// is a whole number of MiB and equals the data before the footer. qemu
/// writes the creation time and a random id into it; `pin` replaces them
/// with the epoch and an id from the node key, so the file is reproducible.
public struct VHDFooter: Sendable, Equatable {
    public static let size = 512
    public static let fixedDiskType: UInt32 = 2
    /// VHD times count seconds from 2000-01-01 00:00:00 UTC.
    public static let epoch2000: Int64 = 946_684_800

    public var bytes: [UInt8]

    public init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.size, bytes.prefix(8).elementsEqual(Array("conectix".utf8)) else { return nil }
        self.bytes = bytes
    }

    public var diskType: UInt32 { u32(60) }
    public var currentSize: Int64 { Int64(bitPattern: u64(48)) }
    public var originalSize: Int64 { Int64(bitPattern: u64(40)) }
    public var timestamp: UInt32 { u32(24) }
    public var uniqueID: [UInt8] { Array(bytes[68..<84]) }
    public var checksum: UInt32 { u32(64) }

    /// One's complement of the byte sum with the checksum field as zeros.
    public var computedChecksum: UInt32 {
        var sum: UInt32 = 0
        for (i, b) in bytes.enumerated() where !(64..<68).contains(i) { sum &+= UInt32(b) }
        return ~sum
    }

    public var checksumIsValid: Bool { checksum == computedChecksum }

    /// Sets the time stamp and unique id, then the checksum.
    public mutating func pin(unixTime: Int64, uniqueID: [UInt8]) {
        precondition(uniqueID.count == 16)
        put32(24, UInt32(clamping: max(0, unixTime - Self.epoch2000)))
        for i in 0..<16 { bytes[68 + i] = uniqueID[i] }
        put32(64, computedChecksum)
    }

    private func u32(_ o: Int) -> UInt32 { bytes[o..<o + 4].reduce(0) { $0 << 8 | UInt32($1) } }
    private func u64(_ o: Int) -> UInt64 { bytes[o..<o + 8].reduce(0) { $0 << 8 | UInt64($1) } }
    private mutating func put32(_ o: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[o + i] = UInt8((v >> (8 * UInt32(3 - i))) & 0xff) }
    }
}
