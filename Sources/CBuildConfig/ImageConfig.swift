import Foundation

/// A target's `[image]` table: how its stage4 becomes a disk image and how
/// that image is boot-tested (docs/images.md). Sizes are bytes, always a
/// whole number of MiB (Azure requires it of a VHD, and partitions are
/// MiB-aligned). Every field has a default, so a target that only lists
/// `images = ["qcow2"]` gets a working image.
public struct ImageConfig: Sendable, Hashable {
    /// The disk's virtual size.
    public var size: Int64
    /// The root filesystem; only `ext4`.
    public var filesystem: String
    /// The EFI system partition's size.
    public var espSize: Int64
    /// Extra kernel arguments, after cbuild's `root=` and `console=`.
    public var kernelCommandLine: String
    /// `console=` argument for the serial console (`ttyS0,115200`); empty for none.
    public var serialConsole: String
    /// Kernel and initramfs as absolute paths inside the stage4; nil: found in `/boot`.
    public var kernel: String?
    public var initramfs: String?
    /// Boot test: the console text that means "booted".
    public var bootMarker: String
    /// Boot test: seconds the marker may take to appear.
    public var bootTimeout: Int
    /// Boot test: guest memory.
    public var bootMemory: Int64
    /// Boot test: `auto` (KVM when it works, else TCG), `kvm` or `tcg`.
    public var accelerator: String
    /// qcow2: compress clusters (smaller, slower to write).
    public var compress: Bool

    public static let mebibyte: Int64 = 1 << 20
    /// The image formats `images = [...]` may name.
    public static let formats = ["raw", "qcow2", "vhd", "vmdk"]
    public static let filesystems = ["ext4"]
    public static let accelerators = ["auto", "kvm", "tcg"]
    static let allowedKeys = ["size", "filesystem", "esp_size", "kernel_cmdline", "serial_console", "kernel",
                              "initramfs", "boot_marker", "boot_timeout", "boot_memory", "accelerator", "compress"]
    /// FAT32 needs 65525 clusters; with 512-byte clusters that is just over 32 MiB.
    static let minimumESP: Int64 = 40 * mebibyte

    public init(size: Int64 = 8 << 30, filesystem: String = "ext4", espSize: Int64 = 256 << 20,
                kernelCommandLine: String = "", serialConsole: String = "ttyS0,115200",
                kernel: String? = nil, initramfs: String? = nil,
                bootMarker: String = "login:", bootTimeout: Int = 300, bootMemory: Int64 = 1 << 30,
                accelerator: String = "auto", compress: Bool = false) {
        self.size = size; self.filesystem = filesystem; self.espSize = espSize
        self.kernelCommandLine = kernelCommandLine; self.serialConsole = serialConsole
        self.kernel = kernel; self.initramfs = initramfs
        self.bootMarker = bootMarker; self.bootTimeout = bootTimeout; self.bootMemory = bootMemory
        self.accelerator = accelerator; self.compress = compress
    }

    /// Reads and checks `[image]`; nil table gives the defaults.
    init(reading table: TableReader?) throws {
        self.init()
        guard let t = table else { return }
        try t.rejectUnknownKeys(allowed: Self.allowedKeys)
        if let s = try Self.size(t, "size") { size = s }
        if let s = try Self.size(t, "esp_size") { espSize = s }
        guard espSize >= Self.minimumESP else {
            throw t.invalid("esp_size", "an EFI system partition needs at least 40M (FAT32)", hint: "e.g. \"256M\"")
        }
        guard size >= espSize + 64 * Self.mebibyte else {
            throw t.invalid(t.has("size") ? "size" : "esp_size",
                            "the disk must be at least 64M larger than the EFI system partition",
                            hint: "e.g. size = \"8G\", esp_size = \"256M\"")
        }
        if let fs = try t.string("filesystem") {
            guard Self.filesystems.contains(fs) else {
                throw t.invalid("filesystem", "'\(fs)' is not a supported root filesystem", hint: "use \"ext4\"")
            }
            filesystem = fs
        }
        if let line = try t.string("kernel_cmdline") {
            guard !line.contains("\n") else { throw t.invalid("kernel_cmdline", "the command line contains a line break") }
            kernelCommandLine = line
        }
        if let console = try t.string("serial_console") {
            guard !console.contains(" "), !console.contains("\n") else {
                throw t.invalid("serial_console", "'\(console)' is not a console device", hint: "e.g. \"ttyS0,115200\", or \"\" for none")
            }
            serialConsole = console
        }
        kernel = try Self.imagePath(t, "kernel")
        initramfs = try Self.imagePath(t, "initramfs")
        if let marker = try t.string("boot_marker") {
            guard !marker.isEmpty, !marker.contains("\n") else {
                throw t.invalid("boot_marker", "the marker must be one non-empty line of console text")
            }
            bootMarker = marker
        }
        if let timeout = try t.integer("boot_timeout") {
            guard (1...86_400).contains(timeout) else {
                throw t.invalid("boot_timeout", "\(timeout) is not a number of seconds between 1 and 86400")
            }
            bootTimeout = timeout
        }
        if let memory = try Self.size(t, "boot_memory") {
            guard memory >= 128 * Self.mebibyte else { throw t.invalid("boot_memory", "a guest needs at least 128M") }
            bootMemory = memory
        }
        if let accel = try t.string("accelerator") {
            guard Self.accelerators.contains(accel) else {
                throw t.invalid("accelerator", "'\(accel)' is not an accelerator", hint: "use \"auto\", \"kvm\" or \"tcg\"")
            }
            accelerator = accel
        }
        if let c = try t.boolean("compress") { compress = c }
    }

    /// `"8G"`, `"512M"`, `"1GiB"` (binary units K, M, G, T), a whole number of MiB.
    public static func parseSize(_ text: String) -> Int64? {
        var digits = text.trimmingCharacters(in: .whitespaces)
        for suffix in ["iB", "B"] where digits.hasSuffix(suffix) { digits.removeLast(suffix.count); break }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        guard let unitChar = digits.last, let unit = units[Character(unitChar.uppercased())],
              let value = Int64(digits.dropLast()), value > 0, value <= (Int64.max / unit) else { return nil }
        let bytes = value * unit
        return bytes % mebibyte == 0 ? bytes : nil
    }

    private static func size(_ t: TableReader, _ key: String) throws -> Int64? {
        guard let text = try t.string(key) else { return nil }
        guard let bytes = parseSize(text) else {
            throw t.invalid(key, "'\(text)' is not a size in whole MiB", hint: "write e.g. \"8G\", \"512M\" or \"1536M\"")
        }
        return bytes
    }

    private static func imagePath(_ t: TableReader, _ key: String) throws -> String? {
        guard let path = try t.string(key) else { return nil }
        guard path.hasPrefix("/"), !path.split(separator: "/").contains(".."), !path.contains("\n") else {
            throw t.invalid(key, "'\(path)' is not an absolute path inside the image without '..'",
                            hint: "e.g. \"/boot/vmlinuz-6.6.58-gentoo-dist\"")
        }
        return path
    }
}
