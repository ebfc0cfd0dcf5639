import CBuildBasics
import Foundation

/// Reads a stage tarball's package manifest from its own `var/db/pkg`
/// entries, in one streaming pass (decompressor → `TarReader`): only the
/// five small files per package are kept (`CATEGORY`, `PF`, `SLOT`,
/// `repository`, `USE`, each capped at 64 KiB), everything else is read
/// past, so memory stays bounded whatever the stage's size.
public enum ManifestReader {
    static let wanted: Set<String> = ["CATEGORY", "PF", "SLOT", "repository", "USE"]

    /// `node` names the stage in errors; `displayPath` is the tarball relative to the build directory.
    /// `progress` is called with the tar bytes read so far, about every 64 MiB.
    public static func read(tarball path: String, displayPath: String, sha256: String, node: String,
                            progress: ((Int64) -> Void)? = nil) throws -> PackageManifest {
        let input = try Decompressor(path: path, displayPath: displayPath)
        let reader = TarReader(fd: input.fd)
        var files: [String: [String: String]] = [:]   // "CAT/PF" -> file -> contents
        var reported: Int64 = 0
        do {
            try reader.walk({ member in
                if let progress, reader.offset - reported >= 64 << 20 { reported = reader.offset; progress(reported) }
                guard member.isRegularFile, let (dir, file) = Self.entry(member.path), wanted.contains(file) else {
                    if member.type == UInt8(ascii: "5"), let dir = Self.packageDirectory(member.path) { files[dir, default: [:]] = files[dir] ?? [:] }
                    return 0
                }
                _ = dir
                return 1 << 16
            }, contents: { member, data in
                if let (dir, file) = Self.entry(member.path) {
                    files[dir, default: [:]][file] = String(decoding: data, as: UTF8.self)
                }
            })
        } catch let error as TarReader.Malformed {
            _ = input.finish(early: true)
            throw SecurityError.unreadableStage(file: displayPath, reason: error.description)
        }
        let status = input.finish(early: false)
        if status != 0 {
            throw SecurityError.unreadableStage(file: displayPath, reason: "\(input.command) exited \(status)")
        }
        var packages: [InstalledPackage] = []
        for (dir, content) in files {
            let parts = dir.split(separator: "/")
            let category = content["CATEGORY"].map(Self.trimmed) ?? String(parts[0])
            let pf = content["PF"].map(Self.trimmed) ?? String(parts[1])
            guard let (name, version) = PackageName.split(pf: pf) else { continue }
            let use = (content["USE"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
            packages.append(InstalledPackage(package: PackageName(category: category, name: name), version: version,
                                             slot: content["SLOT"].map(Self.trimmed).flatMap { $0.isEmpty ? nil : $0 } ?? "0",
                                             repository: content["repository"].map(Self.trimmed) ?? "", use: use))
        }
        guard !packages.isEmpty else { throw SecurityError.noPackageDatabase(node: node, file: displayPath) }
        return PackageManifest(packages: packages, source: (path as NSString).lastPathComponent, sha256: sha256)
    }

    /// `var/db/pkg/CAT/PF/FILE` → ("CAT/PF", "FILE").
    static func entry(_ path: String) -> (String, String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0] == "var", parts[1] == "db", parts[2] == "pkg" else { return nil }
        return ("\(parts[3])/\(parts[4])", String(parts[5]))
    }

    /// `var/db/pkg/CAT/PF/` → "CAT/PF".
    static func packageDirectory(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 5, parts[0] == "var", parts[1] == "db", parts[2] == "pkg" else { return nil }
        return "\(parts[3])/\(parts[4])"
    }

    static func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
}
