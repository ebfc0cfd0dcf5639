import CBuildBasics
import Foundation

/// Reads `metadata/glsa/glsa-*.xml` and the ebuild names of a snapshot
/// without root: a flavour-4 squashfs (`gentoo-YYYYMMDD.xz.sqfs`) with
/// `unsquashfs -l` (listing) and `unsquashfs -d TMP … metadata/glsa`
/// (extracting only that directory), a flavour-3 tarball
/// (`portage-YYYYMMDD.tar.xz`, top directory `portage/`) in one streaming
/// pass. Each advisory is parsed on its own; a malformed one becomes an
/// `AdvisoryProblem` and the rest are kept.
public enum SnapshotReader {
    /// What one pass over a tree collected: the advisory files (path below
    /// the tree's top, bytes), whether `metadata/glsa` exists, the ebuild paths.
    struct RawTree {
        var advisoryFiles: [(path: String, data: [UInt8])] = []
        var hasAdvisoryDirectory = false
        /// Every `CAT/PN/PN-VER.ebuild` path below the tree's top.
        var ebuilds: [String] = []
    }

    public static func read(snapshot path: String, displayPath: String, date: String, sha256: String) throws -> SnapshotAdvisories {
        let raw = path.hasSuffix(".sqfs") ? try readSquashfs(path, displayPath: displayPath)
                                          : try readTarball(path, displayPath: displayPath)
        return assemble(raw, date: date, sha256: sha256)
    }

    static func assemble(_ raw: RawTree, date: String, sha256: String) -> SnapshotAdvisories {
        var advisories: [Advisory] = []
        var problems: [AdvisoryProblem] = []
        for file in raw.advisoryFiles.sorted(by: { $0.path < $1.path }) {
            do {
                advisories.append(try AdvisoryParser.parse(Data(file.data), file: file.path))
            } catch let problem as AdvisoryProblem {
                problems.append(problem)
            } catch {
                problems.append(AdvisoryProblem(file: file.path, message: "\(error)"))
            }
        }
        let named = Set(advisories.flatMap { $0.packages.map(\.package.cp) })
        var offered: [String: [PackageVersion]] = [:]
        for cp in named { offered[cp] = [] }
        for e in raw.ebuilds {
            let parts = e.split(separator: "/")
            guard parts.count == 3, parts[2].hasSuffix(".ebuild") else { continue }
            let cp = "\(parts[0])/\(parts[1])"
            guard named.contains(cp) else { continue }
            let pf = String(parts[2].dropLast(".ebuild".count))
            if let (name, version) = PackageName.split(pf: pf), name == parts[1] { offered[cp, default: []].append(version) }
        }
        return SnapshotAdvisories(date: date, sha256: sha256, hasAdvisoryDirectory: raw.hasAdvisoryDirectory,
                                  advisories: advisories, problems: problems, offered: offered)
    }

    static func isAdvisoryFile(_ rel: String) -> Bool {
        let parts = rel.split(separator: "/")
        return parts.count == 3 && parts[0] == "metadata" && parts[1] == "glsa"
            && parts[2].hasPrefix("glsa-") && parts[2].hasSuffix(".xml")
    }

    static func readSquashfs(_ path: String, displayPath: String) throws -> RawTree {
        guard let unsquashfs = Executables.find("unsquashfs") ?? ["/usr/bin/unsquashfs", "/usr/sbin/unsquashfs", "/sbin/unsquashfs"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw SecurityError.toolMissing("unsquashfs", package: "squashfs-tools")
        }
        let runner = SystemProcessRunner()
        let list = try runner.run([unsquashfs, "-l", "-no-progress", "-d", "", path])
        guard list.succeeded else {
            throw SecurityError.unreadableSnapshot(file: displayPath, reason: "unsquashfs -l: " + list.stderrString.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var raw = RawTree()
        for line in list.stdoutString.split(separator: "\n") {
            var rel = Substring(line)
            while rel.hasPrefix("/") { rel = rel.dropFirst() }
            if rel == "metadata/glsa" { raw.hasAdvisoryDirectory = true }
            if rel.hasSuffix(".ebuild") { raw.ebuilds.append(String(rel)) }
        }
        guard raw.hasAdvisoryDirectory else { return raw }
        let temp = NSTemporaryDirectory() + "cbuild-glsa-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let extract = try runner.run([unsquashfs, "-no-progress", "-no-xattrs", "-d", temp, path, "metadata/glsa"])
        guard extract.succeeded else {
            throw SecurityError.unreadableSnapshot(file: displayPath, reason: "unsquashfs: " + extract.stderrString.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let dir = temp + "/metadata/glsa"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
            let rel = "metadata/glsa/" + name
            guard isAdvisoryFile(rel), let data = FileManager.default.contents(atPath: dir + "/" + name) else { continue }
            raw.advisoryFiles.append((rel, [UInt8](data)))
        }
        return raw
    }

    static func readTarball(_ path: String, displayPath: String) throws -> RawTree {
        let input = try Decompressor(path: path, displayPath: displayPath)
        let reader = TarReader(fd: input.fd)
        var raw = RawTree()
        func relative(_ p: String) -> String? {
            // The top directory is `portage/` (any single top directory is accepted).
            guard let slash = p.firstIndex(of: "/") else { return nil }
            var rest = String(p[p.index(after: slash)...])
            while rest.hasSuffix("/") { rest.removeLast() }
            return rest
        }
        do {
            try reader.walk({ member in
                guard let rel = relative(member.path) else { return 0 }
                if rel == "metadata/glsa" || rel.hasPrefix("metadata/glsa/") { raw.hasAdvisoryDirectory = true }
                if member.isRegularFile && rel.hasSuffix(".ebuild") { raw.ebuilds.append(rel) }
                return member.isRegularFile && isAdvisoryFile(rel) ? 1 << 22 : 0
            }, contents: { member, data in
                if let rel = relative(member.path) { raw.advisoryFiles.append((rel, data)) }
            })
        } catch let error as TarReader.Malformed {
            _ = input.finish(early: true)
            throw SecurityError.unreadableSnapshot(file: displayPath, reason: error.description)
        }
        let status = input.finish(early: false)
        guard status == 0 else { throw SecurityError.unreadableSnapshot(file: displayPath, reason: "\(input.command) exited \(status)") }
        return raw
    }
}
