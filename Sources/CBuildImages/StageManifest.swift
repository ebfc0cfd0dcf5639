/// Every member of a stage4 tarball, last occurrence of a path winning (as
/// when tar extracts it), in first-appearance order.
public struct StageManifest: Sendable {
    public private(set) var entries: [ArchiveEntry] = []
    private var index: [String: Int] = [:]

    public init() {}

    mutating func add(_ e: ArchiveEntry) {
        if let i = index[e.path] { entries[i] = e } else { index[e.path] = entries.count; entries.append(e) }
    }

    public subscript(path: String) -> ArchiveEntry? { index[path].map { entries[$0] } }

    /// Bytes of regular-file content.
    public var contentBytes: Int64 { entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }

    /// Bytes the content takes in 4 KiB blocks (files and directories).
    public var allocatedBytes: Int64 {
        entries.reduce(0) { sum, e in
            switch e.kind {
            case .file: return sum + (e.size + 4095) / 4096 * 4096
            case .directory: return sum + 4096
            default: return sum
            }
        }
    }

    /// The newest modification time: the default `SOURCE_DATE_EPOCH` of an image.
    public var newestMTime: Int64 { entries.map(\.mtime).max() ?? 0 }
}
