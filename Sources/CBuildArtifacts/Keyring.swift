import CBuildBasics
import Foundation

/// The OpenPGP public keys that downloads are checked against: the files
/// configured in `[snapshots] keyring` (ASCII-armored `.asc` or binary) plus
/// Gentoo's release key file when the host has it, joined into one binary
/// keyring that `gpgv --keyring` reads. Armor is decoded here (base64
/// between the armor lines), so only gpgv is needed, not gpg.
public struct Keyring: Sendable, Equatable {
    /// Installed on Gentoo by sec-keys/openpgp-keys-gentoo-release.
    public static let gentooSystemKeyFile = "/usr/share/openpgp-keys/gentoo-release.asc"

    /// The key files in use, configured ones first.
    public let files: [String]

    /// The configured files (each must exist) plus `systemKeyFile` when it exists.
    public init(configured: [String], systemKeyFile: String?) throws {
        for file in configured where !FileManager.default.fileExists(atPath: file) {
            throw ArtifactError.keyringMissing(file)
        }
        var files = configured
        if let systemKeyFile, FileManager.default.fileExists(atPath: systemKeyFile), !files.contains(systemKeyFile) {
            files.append(systemKeyFile)
        }
        if files.isEmpty { throw ArtifactError.keyringEmpty }
        self.files = files
    }

    /// Writes the binary keyring to `path` (atomically, via a temp file beside it).
    public func write(to path: String) throws {
        var packets = Data()
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ArtifactError.keyringMissing(file)
            }
            packets.append(try Self.binaryPackets(data, file: file))
        }
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: packets) else {
            throw ArtifactError.io(path: temp, reason: "cannot write the keyring")
        }
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw ArtifactError.io(path: path, reason: "cannot write the keyring: \(String(cString: strerror(errno)))")
        }
    }

    /// The binary OpenPGP packets of a key file: decoded armor blocks, or the
    /// file itself when it already is binary (first byte has bit 7 set).
    static func binaryPackets(_ data: Data, file: String) throws -> Data {
        guard let packets = OpenPGPArmor.publicKeyPackets(data) else { throw ArtifactError.notAKeyFile(file) }
        return packets
    }
}
