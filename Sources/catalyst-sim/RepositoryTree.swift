import CBuildBasics
import CBuildSecurity
import Foundation

/// The ebuild repository a stage is built from (the snapshot catalyst
/// mounts at /var/db/repos/gentoo: a squashfs for flavour 4, a tarball with
/// a `portage/` top directory for flavour 3, or a directory), reduced to
/// what emerge's choice of version needs: for `CAT/PN`, the versions of
/// its ebuilds and their KEYWORDS. The best version is the highest one
/// keyworded stable for the stage's arch (`ACCEPT_KEYWORDS="amd64"`, what a
/// stage profile sets); when no ebuild carries that keyword, the highest
/// of all (the simulator has no package.accept_keywords to consult). Read
/// lazily, once per run, with the same rootless tools cbuild uses.
final class RepositoryTree {
    private let path: String
    private let arch: String
    private var ebuilds: [String]?

    init(path: String, subarch: String) {
        self.path = path
        self.arch = ArchKeyword.of(profile: nil, subarch: subarch)
    }

    /// Every `CAT/PN/PF.ebuild` below the tree's top.
    private func list() -> [String] {
        if let ebuilds { return ebuilds }
        var out: [String] = []
        if FileOps.isDirectory(path) {
            let e = FileManager.default.enumerator(atPath: path)
            while let p = e?.nextObject() as? String { if p.hasSuffix(".ebuild") { out.append(p) } }
        } else if path.hasSuffix(".sqfs"), let r = try? ToolRunner.run(["unsquashfs", "-l", "-no-progress", "-d", "", path]), r.status == 0 {
            out = r.stdoutString.split(separator: "\n").filter { $0.hasSuffix(".ebuild") }.map { String($0.drop { $0 == "/" }) }
        } else if let r = try? ToolRunner.run(["tar", "-tf", path]), r.status == 0 {
            out = r.stdoutString.split(separator: "\n").filter { $0.hasSuffix(".ebuild") }
                .compactMap { line in line.firstIndex(of: "/").map { String(line[line.index(after: $0)...]) } }
        }
        ebuilds = out
        return out
    }

    /// The ebuild's KEYWORDS, or [] when it cannot be read.
    private func keywords(_ rel: String) -> [String] {
        var text: String?
        if FileOps.isDirectory(path) {
            text = (try? String(contentsOfFile: path + "/" + rel, encoding: .utf8))
        } else if path.hasSuffix(".sqfs") {
            text = (try? ToolRunner.run(["unsquashfs", "-cat", path, rel]))?.stdoutString
        } else {
            text = (try? ToolRunner.run(["tar", "-xOf", path, "--wildcards", "*/" + rel]))?.stdoutString
        }
        for line in (text ?? "").split(separator: "\n") where line.hasPrefix("KEYWORDS=") {
            return line.dropFirst("KEYWORDS=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"' ")).split(separator: " ").map(String.init)
        }
        return []
    }

    func bestVersion(category: String, name: String) -> String? {
        let prefix = "\(category)/\(name)/"
        let candidates: [(String, PackageVersion)] = list().compactMap { rel in
            guard rel.hasPrefix(prefix) else { return nil }
            let pf = String(rel.dropFirst(prefix.count).dropLast(".ebuild".count))
            guard let (pn, v) = PackageName.split(pf: pf), pn == name else { return nil }
            return (rel, v)
        }
        let stable = candidates.filter { keywords($0.0).contains(arch) }
        return (stable.isEmpty ? candidates : stable).max { $0.1 < $1.1 }?.1.text
    }
}
