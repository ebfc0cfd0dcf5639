import Foundation

/// Catalyst's resume points (catalyst/base/resume.py): one file per finished
/// step in `storedir/tmp/<rel_type>/.autoresume-<target>-<subarch>-<version_stamp>/`.
/// The directory is created when the target is constructed, and points are
/// written whether or not the `autoresume` option is on; only with the
/// option are they honoured (steps skipped) and removed after success.
struct AutoResume {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileOps.ensureDirs(directory)
    }

    func isEnabled(_ point: String) -> Bool { FileOps.isFile(directory + "/" + point) }

    /// Enables a point, optionally storing data in it (the unpack point
    /// stores the seed's hash).
    func enable(_ point: String, data: String? = nil) {
        let path = directory + "/" + point
        if data == nil, isEnabled(point) { return }
        try? FileOps.writeFile(path, data ?? "")
    }

    func get(_ point: String) -> String? {
        guard let d = FileManager.default.contents(atPath: directory + "/" + point) else { return nil }
        return String(decoding: d, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
    }

    /// `clear_all()`: empty the directory, or remove it.
    func clearAll(remove: Bool) { FileOps.clearDir(directory, remove: remove) }
}
