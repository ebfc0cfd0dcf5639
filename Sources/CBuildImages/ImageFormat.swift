/// A disk image format cbuild writes: `raw` is assembled from the stage4;
/// the others are converted from the raw image with `qemu-img`.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    /// Plain sector image; AWS's import format.
    case raw
    /// QEMU/KVM, optionally compressed.
    case qcow2
    /// Azure: fixed subformat, virtual size a whole number of MiB.
    case vhd
    /// VMware, streamOptimized.
    case vmdk

    /// The name `qemu-img` uses.
    public var qemuName: String {
        switch self {
        case .raw: return "raw"
        case .qcow2: return "qcow2"
        case .vhd: return "vpc"
        case .vmdk: return "vmdk"
        }
    }

    public var fileExtension: String { rawValue }

    /// `qemu-img convert -o` options that make the format what its users need.
    func convertOptions(compress: Bool) -> [String] {
        switch self {
        case .raw: return []
        case .qcow2: return compress ? ["-c"] : []
        case .vhd: return ["-o", "subformat=fixed,force_size=on"]
        case .vmdk: return ["-o", "subformat=streamOptimized"]
        }
    }
}
