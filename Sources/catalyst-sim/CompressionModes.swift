/// Catalyst's (de)compression modes, from DeComp's definitions.py, which
/// catalyst uses for `compression_mode` (the stage tarball) and
/// `decompressor_search_order` (finding and unpacking seeds and snapshots).
/// There is no zstd and no pigz mode: such a `compression_mode` makes
/// catalyst log an error, skip the tarball and still exit 0.
enum CompressionModes {
    /// The extension `compression_mode` gives the stage tarball (auto_extension).
    static let compressExtension: [String: String] = [
        "lbzip2": "tar.bz2", "lbzip2_x": "tar.bz2", "bzip2": "tar.bz2", "bzip2_x": "tar.bz2",
        "tar": "tar", "tar_x": "tar",
        "xz": "tar.xz", "xz_x": "tar.xz", "pixz": "tar.xz", "pixz_x": "tar.xz",
        "gzip": "tar.gz", "gzip_x": "tar.gz",
        "squashfs": "squashfs",
    ]

    /// Extensions each decompression mode recognises, in DeComp's order.
    static let decompressExtensions: [String: [String]] = [
        "rsync": [],
        "lbzip2": ["tar.bz2", "bz2", "tbz2"], "lbzip2_x": ["tar.bz2", "bz2", "tbz2"],
        "bzip2": ["tar.bz2", "bz2", "tbz2"], "bzip2_x": ["tar.bz2", "bz2", "tbz2"],
        "tar": ["tar"], "tar_x": ["tar"],
        "xz": ["tar.xz", "xz"], "xz_x": ["tar.xz", "xz"],
        "pixz": ["tar.xz", "xz"], "pixz_x": ["tar.xz", "xz"],
        "gzip": ["tar.gz", "gz"], "gzip_x": ["tar.gz", "gz"],
        "squashfs": ["squashfs", "sfs"],
    ]

    /// DeComp's DECOMPRESSOR_SEARCH_ORDER, the default of `decompressor_search_order`.
    static let defaultSearchOrder = ["pixz", "lbzip2", "squashfs", "gzip", "xz", "bzip2", "tar"]

    /// `search_order_extensions()`: the accepted extensions, de-duplicated, in order.
    static func acceptedExtensions(searchOrder: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for mode in searchOrder {
            for ext in decompressExtensions[mode] ?? [] where !seen.contains(ext) {
                seen.insert(ext)
                out.append(ext)
            }
        }
        return out
    }

    /// `determine_mode()`: the first mode in the search order one of whose
    /// extensions ends the file name; nil when none does.
    static func decompressMode(for path: String, searchOrder: [String]) -> String? {
        for mode in searchOrder {
            for ext in decompressExtensions[mode] ?? [] where path.hasSuffix(ext) { return mode }
        }
        return nil
    }

    /// The compressor command the simulator runs for a mode (tar's
    /// `--use-compress-program`), chosen for reproducible output: xz is
    /// single-threaded, gzip omits name and time, lbzip2 is replaced by bzip2
    /// (the same file format). nil for plain tar.
    static func compressor(for mode: String) -> String? {
        switch compressExtension[mode] {
        case "tar.bz2": return "bzip2 -9"
        case "tar.xz": return "xz -T1 -6"
        case "tar.gz": return "gzip -n -9"
        default: return nil
        }
    }
}
