import CBuildBasics

/// Identifiers that tools would otherwise pick at random (filesystem and
/// partition UUIDs, the ext4 hash seed, the FAT volume id, the VHD and VMDK
/// ids), derived from the node's key instead: the same inputs give the same
/// bytes on every builder, and different inputs never share an id.
public struct DerivedIdentity: Sendable, Hashable {
    public let key: String

    public init(key: String) { self.key = key }

    private func bytes(_ purpose: String) -> [UInt8] {
        ContentHasher.digest(.sha256, "cbuild-image-id\0\(key)\0\(purpose)").bytes
    }

    /// An RFC 4122 version-4-shaped UUID, lowercase.
    public func uuid(_ purpose: String) -> String {
        var b = Array(bytes(purpose).prefix(16))
        b[6] = (b[6] & 0x0f) | 0x40
        b[8] = (b[8] & 0x3f) | 0x80
        let hex = b.map { String($0, radix: 16).leftPadded(2) }.joined()
        let c = Array(hex)
        return [c[0..<8], c[8..<12], c[12..<16], c[16..<20], c[20..<32]].map { String($0) }.joined(separator: "-")
    }

    /// The 16 bytes of `uuid(purpose)`.
    public func uuidBytes(_ purpose: String) -> [UInt8] {
        let hex = Array(uuid(purpose).replacingOccurrences(of: "-", with: ""))
        return stride(from: 0, to: 32, by: 2).map { UInt8(String(hex[$0..<$0 + 2]), radix: 16)! }
    }

    /// Eight hex digits (a FAT volume id, a VMDK CID).
    public func hex32(_ purpose: String) -> String {
        bytes(purpose).prefix(4).map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    public var diskUUID: String { uuid("gpt-disk") }
    public var espPartitionUUID: String { uuid("gpt-esp") }
    public var rootPartitionUUID: String { uuid("gpt-root") }
    public var rootFilesystemUUID: String { uuid("ext4-uuid") }
    public var rootHashSeed: String { uuid("ext4-hash-seed") }
    public var espVolumeID: String { hex32("vfat-volume-id") }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
