import CBuildBasics
import Foundation

/// A Gentoo-shaped mirror made by `scripts/make-mirror`: flavour-3 and -4
/// snapshots for `dates`, a stage3 seed for `seedIdent`, all signed by
/// `signer`. The tree is built once per test process and copied fresh for
/// every test, so a test may tamper with its copy freely.
public struct MirrorFixture: Sendable {
    /// Snapshot dates on the mirror, newest first.
    public static let dates = ["20261123", "20261122"]
    public static let seedIdent = "20261123T170000Z"
    public static let arch = "amd64"
    public static let variant = "openrc"
    /// A moment when today-1 is 20261124 (not on the mirror) and today-2 is 20261123.
    public static let now = Date(timeIntervalSince1970: 1_795_608_000) // 2026-11-25T12:00:00Z

    /// Holds `mirror/` (the tree) and `key.asc`.
    public let directory: TemporaryDirectory
    /// The key that signed everything; shared by all copies.
    public let signer: GPGFixture

    /// The mirror's root directory.
    public var root: String { directory.path + "/mirror" }
    /// The signer's public key, armored.
    public var keyFile: String { directory.path + "/key.asc" }
    public var fingerprint: String { signer.fingerprint }
    /// The mirror as a `file://` URL.
    public var fileURL: String { "file://" + root }

    /// A fresh copy of the mirror.
    public init() throws {
        let base = try Self.base.get()
        directory = try TemporaryDirectory(prefix: "cbuild-mirror")
        try FileManager.default.copyItem(atPath: base.directory + "/mirror", toPath: directory.path + "/mirror")
        try FileManager.default.copyItem(atPath: base.directory + "/key.asc", toPath: directory.path + "/key.asc")
        signer = base.signer
    }

    public func remove() { directory.remove() }

    /// Absolute path of a file relative to the mirror root.
    public func path(_ relative: String) -> String { root + "/" + relative }

    public var seedPath: String {
        "releases/\(Self.arch)/autobuilds/\(Self.seedIdent)/stage3-\(Self.arch)-\(Self.variant)-\(Self.seedIdent).tar.xz"
    }
    public var listingPath: String { "releases/\(Self.arch)/autobuilds/latest-stage3-\(Self.arch)-\(Self.variant).txt" }

    /// Clearsigns `text` with the mirror's key into `relative`.
    public func writeClearsigned(_ relative: String, _ text: String) throws {
        let plain = directory.path + "/plain-\(UUID().uuidString)"
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        defer { unlink(plain) }
        try signer.clearsign(plain, output: path(relative))
    }

    /// Flips one byte in the middle of a mirror file (same size, different content).
    public func corrupt(_ relative: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path(relative)))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        let byte = try handle.read(upToCount: 1) ?? Data([0])
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data([byte[0] ^ 0xff]))
    }

    /// Cuts a mirror file down to `size` bytes.
    public func truncate(_ relative: String, to size: Int64) throws {
        guard Glibc.truncate(path(relative), off_t(size)) == 0 else { throw NSError(domain: "MirrorFixture", code: Int(errno)) }
    }

    /// Deletes a mirror file (to make the mirror "lag").
    public func delete(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    // MARK: the shared base tree

    /// The tree built once per process and the key that signed it.
    struct Base: Sendable {
        let directory: String
        let signer: GPGFixture
    }

    /// Why the shared tree could not be built (kept as text so it is Sendable).
    struct SetupError: Error, Sendable, CustomStringConvertible {
        let description: String
    }

    static let base: Result<Base, SetupError> = {
        do {
            let dir = try TemporaryDirectory(prefix: "cbuild-mirror-base")
            let signer = try GPGFixture(name: "cbuild test mirror")
            let script = BuiltProducts.packageRoot + "/scripts/make-mirror"
            let result = try SystemProcessRunner().run(
                ["bash", script, dir.path + "/mirror", "--key-out", dir.path + "/key.asc",
                 "--dates", dates.joined(separator: ","), "--seed-ident", seedIdent, "--size-kb", "192",
                 "--gnupghome", signer.home],
                environment: nil, currentDirectory: nil, input: nil)
            guard result.succeeded else {
                return .failure(SetupError(description: "make-mirror failed: \(result.stderrString)"))
            }
            basePaths = (dir.path, signer.home)
            atexit {
                if let (dir, home) = MirrorFixture.basePaths {
                    _ = try? SystemProcessRunner().run(["gpgconf", "--homedir", home, "--kill", "all"])
                    try? FileManager.default.removeItem(atPath: dir)
                    try? FileManager.default.removeItem(atPath: home)
                }
            }
            return .success(Base(directory: dir.path, signer: signer))
        } catch {
            return .failure(SetupError(description: "\(error)"))
        }
    }()

    nonisolated(unsafe) static var basePaths: (String, String)?
}
