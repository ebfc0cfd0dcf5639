import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
/// Tests create one per case so they can run in parallel.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "cbuild-test") throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else {
            throw NSError(domain: "TemporaryDirectory", code: Int(errno))
        }
        path = String(cString: p)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `relative`, creating parent directories.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path + "/" + relative, encoding: .utf8)
    }

    public func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + relative)
    }
}
