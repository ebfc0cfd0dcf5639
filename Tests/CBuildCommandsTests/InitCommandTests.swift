import CBuildTestSupport
import Foundation
import Testing

/// `cbuild init` through the real binary: catalyst.conf and catalystrc for
/// both catalyst flavours, idempotence, a moved directory, the skeleton.
@Suite struct InitCommandTests {
    static let confFile = ".cache/catalyst/catalyst.conf"
    static let rcFile = ".cache/catalyst/catalystrc"

    /// Keys catalyst 4 accepts in catalyst.conf (its `valid_config_file_values`);
    /// any other key makes catalyst 4 stop with "Unknown option".
    static let catalyst4Keys: Set<String> = [
        "binhost", "compression_mode", "digests", "digest_format", "distcc_hosts", "distdir", "envscript", "jobs",
        "load-average", "options", "port_logdir", "repo_basedir", "repo_name", "repos_storedir", "sharedir",
        "storedir", "target_distdir", "target_logdir", "target_pkgdir", "var_tmpfs_portage",
    ]

    /// A copy of the example directory with nothing rendered yet.
    func site() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "cbuild-init")
        try MirroredSite.copyExample(into: dir.path)
        return dir
    }

    /// `key = value` lines of a rendered config (comments and blank lines skipped).
    func assignments(_ text: String, separator: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { line in
            let l = line.trimmingCharacters(in: .whitespaces)
            guard !l.isEmpty, !l.hasPrefix("#"), let r = l.range(of: separator) else { return nil }
            return (String(l[..<r.lowerBound]).trimmingCharacters(in: .whitespaces),
                    String(l[r.upperBound...]).trimmingCharacters(in: .whitespaces))
        }
    }

    @Test func flavourFourRendersTOMLWithOnlyKeysCatalystFourAcceptsAndAbsolutePaths() throws {
        let dir = try site(); defer { dir.remove() }
        let r = try CLI.run(["init"], in: dir.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("rendered  \(Self.confFile)"), "\(r)")
        let conf = try dir.read(Self.confFile)
        let pairs = assignments(conf, separator: " = ")
        #expect(!pairs.isEmpty)
        for (key, _) in pairs { #expect(Self.catalyst4Keys.contains(key), "catalyst 4 rejects the key '\(key)'") }
        let values = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(values["options"] == "[\"pkgcache\", \"kerncache\", \"seedcache\"]", "\(conf)")
        #expect(values["digests"] == "[\"blake2b\", \"sha512\"]", "\(conf)")
        #expect(values["storedir"] == "\"\(dir.path)/artifacts\"", "\(conf)")
        #expect(values["envscript"] == "\"\(dir.path)/\(Self.rcFile)\"", "\(conf)")
        #expect(values["compression_mode"] == "\"pixz\"", "\(conf)")
        // Flavour 3's keys have no place in catalyst 4's file.
        #expect(values["portdir"] == nil)
        #expect(dir.exists(Self.rcFile))
        let gitignore = try dir.read(".gitignore").split(separator: "\n")
        #expect(gitignore.contains("artifacts/") && gitignore.contains(".cache/"), "\(gitignore)")
    }

    @Test func flavourThreeRendersShellStyleWithPortdirAndRepoName() throws {
        let dir = try site(); defer { dir.remove() }
        let toml = try dir.read("cbuild.toml")
        #expect(toml.contains("flavor = 4 "))
        try dir.write("cbuild.toml", toml.replacingOccurrences(of: "flavor = 4 ", with: "flavor = 3 "))
        let r = try CLI.run(["init"], in: dir.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("catalyst flavour 3"), "\(r)")
        let conf = try dir.read(Self.confFile)
        let pairs = assignments(conf, separator: "=")
        // Shell style: every value a double-quoted string, no TOML arrays, no spaces around '='.
        for (key, value) in pairs {
            #expect(value.hasPrefix("\"") && value.hasSuffix("\""), "\(key)=\(value)")
            #expect(!key.hasSuffix(" ") && !value.hasPrefix("["), "\(key)=\(value)")
        }
        let values = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(values["portdir"] == "\"/var/db/repos/portage\"", "\(conf)")
        #expect(values["repo_name"] == "\"portage\"", "\(conf)")
        #expect(values["options"] == "\"pkgcache kerncache seedcache\"", "\(conf)")
        #expect(values["digests"] == "\"blake2 sha512\"", "\(conf)")
        #expect(values["storedir"] == "\"\(dir.path)/artifacts\"", "\(conf)")
        #expect(values["envscript"] == "\"\(dir.path)/\(Self.rcFile)\"", "\(conf)")
        let settings = conf.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(settings.allSatisfy { !$0.contains(" = ") }, "no TOML assignments in a flavour-3 file:\n\(conf)")
    }

    @Test func aSecondInitRewritesNothing() throws {
        let dir = try site(); defer { dir.remove() }
        #expect(try CLI.run(["init"], in: dir.path).status == 0)
        let files = [Self.confFile, Self.rcFile, ".gitignore"]
        let before = files.map { (try? dir.read($0), DirectoryListing.entry(dir.path + "/" + $0)) }
        usleep(20_000) // past the file system's timestamp granularity
        let second = try CLI.run(["init"], in: dir.path)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("unchanged \(Self.confFile)"), "\(second)")
        #expect(second.stdout.contains("unchanged \(Self.rcFile)"), "\(second)")
        #expect(!second.stdout.contains(".gitignore"), "\(second)")
        for (i, f) in files.enumerated() {
            let (text, stat) = (try? dir.read(f), DirectoryListing.entry(dir.path + "/" + f))
            #expect(text != nil && text == before[i].0, "\(f) content changed")
            #expect(stat != nil && stat?.mtimeNanoseconds == before[i].1?.mtimeNanoseconds, "\(f) mtime changed")
            #expect(stat?.inode == before[i].1?.inode, "\(f) was replaced")
        }
    }

    @Test func aCopyElsewhereSaysSoInOneLineAndReRendersItsPaths() throws {
        let dir = try site(); defer { dir.remove() }
        #expect(try CLI.run(["init"], in: dir.path).status == 0)
        let parent = try TemporaryDirectory(prefix: "cbuild-init-moved"); defer { parent.remove() }
        let moved = parent.path + "/site copy"
        let cp = try SystemRunner.run(["cp", "-a", dir.path, moved])
        #expect(cp == 0)
        let r = try CLI.run(["status"], in: moved)
        #expect(r.status == 0, "\(r)")
        let notes = (r.stdout + r.stderr).split(separator: "\n").filter { $0.contains("moved") }
        #expect(notes.count == 1, "\(r)")
        // The note names the new place; state never held the old one.
        #expect(notes.first?.contains(moved) == true && notes.first?.contains(dir.path) == false, "\(r)")
        let conf = try String(contentsOfFile: moved + "/" + Self.confFile, encoding: .utf8)
        #expect(conf.contains("storedir = \"\(moved)/artifacts\""), "\(conf)")
        #expect(conf.contains("envscript = \"\(moved)/\(Self.rcFile)\""), "\(conf)")
        #expect(!conf.contains(dir.path), "\(conf)")
        // The original is untouched, and the copy says it only once.
        #expect(try dir.read(Self.confFile).contains("storedir = \"\(dir.path)/artifacts\""))
        let again = try CLI.run(["status"], in: moved)
        #expect(again.status == 0 && !(again.stdout + again.stderr).contains("moved"), "\(again)")
    }

    @Test func anEmptyDirectoryGetsAWorkingSkeleton() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-skeleton"); defer { dir.remove() }
        let r = try CLI.run(["init"], in: dir.path)
        #expect(r.status == 0, "\(r)")
        for f in ["cbuild.toml", ".gitignore", "keys/README.md", Self.confFile, Self.rcFile] {
            #expect(dir.exists(f), "\(f) missing after init:\n\(r)")
        }
        let created = r.stdout.split(separator: "\n").filter { $0.hasPrefix("created ") }.map { String($0.dropFirst(8)) }
        #expect(created.contains { $0.hasPrefix("targets/") && $0.hasSuffix(".toml") }, "\(r)")
        #expect(created.contains { $0.hasPrefix("features/") && $0.hasSuffix(".toml") }, "\(r)")
        #expect(created.contains { $0.hasPrefix("specs/") }, "\(r)")
        for f in created { #expect(dir.exists(f), "\(f)") }
        let gitignore = try dir.read(".gitignore").split(separator: "\n")
        #expect(gitignore.contains("artifacts/") && gitignore.contains(".cache/"), "\(gitignore)")
        let target = created.first { $0.hasPrefix("targets/") }!
        let node = "stage4/" + target.dropFirst("targets/".count).dropLast(".toml".count)

        let status = try CLI.run(["status"], in: dir.path)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains(node), "\(status)")
        // Nothing is fetched yet: explain names what is missing instead of failing.
        let explain = try CLI.run(["explain"], in: dir.path)
        #expect(explain.status == 0, "\(explain)")
        #expect(explain.stdout.contains(node), "\(explain)")
        #expect(explain.stdout.contains("snapshot"), "\(explain)")
        // And a second init keeps the skeleton as it is.
        let before = DirectoryListing(dir.path)
        let again = try CLI.run(["init"], in: dir.path)
        #expect(again.status == 0 && !again.stdout.contains("created"), "\(again)")
        #expect(DirectoryListing(dir.path).differences(from: before).filter { !$0.hasPrefix(".cache") }.isEmpty)
    }

    @Test func aNonEmptyDirectoryThatIsNoBuildDirectoryIsRefused() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-notempty"); defer { dir.remove() }
        try dir.write("notes.txt", "my notes\n")
        let before = DirectoryListing(dir.path)
        let r = try CLI.run(["init"], in: dir.path)
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("not empty"), "\(r)")
        #expect(DirectoryListing(dir.path) == before, "init wrote into a non-empty directory")
    }
}
