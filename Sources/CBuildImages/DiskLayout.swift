import CBuildBasics
import Foundation

/// The GPT disk of an image: 1 MiB for the partition table, the EFI system
/// partition, the root partition up to 1 MiB before the end (room for the
/// backup table). Every boundary is MiB-aligned, so the disk is a whole
/// number of MiB as Azure requires. Written with `sfdisk` on the plain
/// file; the ESP is copied in with `dd conv=notrunc,sparse` and the root
/// filesystem is made in place (`mkfs.ext4 -E offset=`), so the file stays
/// sparse and is never copied whole.
public struct DiskLayout: Sendable, Equatable {
    public static let mebibyte: Int64 = 1 << 20
    public static let sector: Int64 = 512
    public static let espType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
    /// The discoverable-partitions type of an x86-64 root filesystem.
    public static let rootType = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"

    public var diskSize: Int64
    public var espOffset: Int64
    public var espSize: Int64
    public var rootOffset: Int64
    public var rootSize: Int64

    public init(diskSize: Int64, espSize: Int64) {
        self.diskSize = diskSize
        espOffset = Self.mebibyte
        self.espSize = espSize
        rootOffset = espOffset + espSize
        rootSize = diskSize - rootOffset - Self.mebibyte
    }

    /// sfdisk's input for this layout with `identity`'s UUIDs.
    func sfdiskScript(_ identity: DerivedIdentity) -> String {
        """
        label: gpt
        label-id: \(identity.diskUUID.uppercased())
        unit: sectors
        first-lba: 2048
        sector-size: 512

        start=\(espOffset / Self.sector), size=\(espSize / Self.sector), type=\(Self.espType), uuid=\(identity.espPartitionUUID.uppercased()), name="ESP"
        start=\(rootOffset / Self.sector), size=\(rootSize / Self.sector), type=\(Self.rootType), uuid=\(identity.rootPartitionUUID.uppercased()), name="root"

        """
    }

    /// Creates `disk` (sparse, `diskSize` bytes) and writes the partition table.
    func create(disk: String, identity: DerivedIdentity, scratch: String, tools: ToolRunner) throws {
        unlink(disk)
        guard FileManager.default.createFile(atPath: disk, contents: nil), truncate(disk, off_t(diskSize)) == 0 else {
            throw BasicsError.io(path: disk, operation: "create", errno: errno)
        }
        let script = scratch + "/sfdisk.txt"
        try sfdiskScript(identity).write(toFile: script, atomically: true, encoding: .utf8)
        tools.note(try String(contentsOfFile: script, encoding: .utf8))
        _ = try ToolRunner.require("sfdisk")
        // sfdisk reads the script on stdin; run it through sh to redirect.
        try tools.run(["sh", "-c", "exec sfdisk --quiet --no-reread --no-tell-kernel --wipe always \"$1\" < \"$2\"", "sfdisk", disk, script])
    }

    /// Copies the ESP file into its partition, keeping the disk sparse.
    func placeESP(_ esp: String, into disk: String, tools: ToolRunner) throws {
        let block: Int64 = 64 << 10
        try tools.run(["dd", "if=\(esp)", "of=\(disk)", "bs=\(block)", "seek=\(espOffset / block)", "conv=notrunc,sparse", "status=none"])
    }
}
