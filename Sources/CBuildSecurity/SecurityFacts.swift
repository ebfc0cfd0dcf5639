import CBuildBasics
import CBuildState
import Foundation

/// Reads manifests and advisories at most once per content digest: a
/// stage tarball's manifest is remembered by the tarball's SHA-256, a
/// snapshot's advisories by the snapshot's, in `.cache/state.db`, so later
/// commands never re-read a multi-GB tarball. Each fact carries the reader
/// version it was made with; bumping a version makes the next command
/// re-read instead of trusting rows an older reader wrote.
public struct SecurityFacts: Sendable {
    /// Bump when `ManifestReader` changes what it extracts.
    public static let manifestReader = 1
    /// Bump when `SnapshotReader`/`AdvisoryParser` change what they extract.
    public static let advisoryReader = 1

    public let database: StateDatabase
    public let now: @Sendable () -> Date
    /// Where reading a large stage reports its progress (a terminal shows it live).
    public let events: (any EventSink)?

    public init(database: StateDatabase, events: (any EventSink)? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database; self.events = events; self.now = now
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e
    }()

    /// The manifest of the tarball at `path` whose content digest is
    /// `sha256`; read (and remembered) only when no record exists.
    /// `displayPath` is relative to the build directory.
    public func manifest(tarball path: String, displayPath: String, sha256: String, node: String) throws -> PackageManifest {
        if let r = try database.packageManifest(outputSHA256: sha256, reader: Self.manifestReader),
           let m = try? JSONDecoder().decode(PackageManifest.self, from: Data(r.content.utf8)) {
            return m
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw SecurityError.outputMissing(node: node, file: displayPath)
        }
        let label = "packages of \(node)"
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        // Only a large stage is worth a progress line (a stage4 is often GBs unpacked).
        let events = size >= 64 << 20 ? self.events : nil
        events?.emit(.nodeStarted(node: label, index: 1, total: 1, logPath: nil))
        let started = Date()
        let m: PackageManifest
        do {
            m = try ManifestReader.read(tarball: path, displayPath: displayPath, sha256: sha256, node: node) { bytes in
                events?.emit(.nodeProgress(node: label, detail: "\(bytes >> 20) MiB of tar read"))
            }
        } catch {
            events?.emit(.nodeFinished(node: label, outcome: "stopped", seconds: Date().timeIntervalSince(started), message: nil))
            throw error
        }
        events?.emit(.nodeFinished(node: label, outcome: "read", seconds: Date().timeIntervalSince(started),
                                   message: "\(m.packages.count) packages"))
        let json = String(decoding: try Self.encoder.encode(m), as: UTF8.self)
        try database.recordPackageManifest(.init(outputSHA256: sha256, reader: Self.manifestReader, source: displayPath,
                                                 content: json, readAt: now()))
        return m
    }

    /// Whether the manifest of a tarball digest is already remembered.
    public func hasManifest(sha256: String) throws -> Bool {
        try database.packageManifest(outputSHA256: sha256, reader: Self.manifestReader) != nil
    }

    /// The advisories of the snapshot at `path` (content digest `sha256`), read once.
    public func advisories(snapshot path: String, displayPath: String, date: String, sha256: String) throws -> SnapshotAdvisories {
        if let r = try database.snapshotAdvisories(snapshotSHA256: sha256, reader: Self.advisoryReader),
           let a = try? JSONDecoder().decode(SnapshotAdvisories.self, from: Data(r.content.utf8)) {
            return a
        }
        let a = try SnapshotReader.read(snapshot: path, displayPath: displayPath, date: date, sha256: sha256)
        let json = String(decoding: try Self.encoder.encode(a), as: UTF8.self)
        try database.recordSnapshotAdvisories(.init(snapshotSHA256: sha256, reader: Self.advisoryReader, date: date,
                                                    content: json, readAt: now()))
        return a
    }
}
