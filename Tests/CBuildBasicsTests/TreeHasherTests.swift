import Testing
import Foundation
@testable import CBuildBasics
import CBuildTestSupport

/// Tree digests change with every meaningful change and never with the tree's location.
@Suite struct TreeHasherTests {
    /// A small portage confdir: nested files, an executable script, a symlink.
    private func makeTree(in dir: TemporaryDirectory, at name: String = "portage") throws -> String {
        try dir.write("\(name)/package.use/ssh", "net-misc/openssh -kerberos\n")
        try dir.write("\(name)/package.accept_keywords/vim", "app-editors/vim ~amd64\n")
        try dir.write("\(name)/make.conf", "COMMON_FLAGS=\"-O2 -pipe\"\n")
        let script = try dir.write("\(name)/bashrc.d/10-hook.sh", "echo hook\n")
        #expect(chmod(script, 0o755) == 0)
        #expect(symlink("../make.conf", dir.path + "/\(name)/bashrc.d/make.conf.link") == 0)
        return dir.path + "/" + name
    }

    private func hash(_ root: String) throws -> TreeDigest { try TreeHasher().hash(root) }

    @Test func entriesAreSortedRelativeAndComplete() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let root = try makeTree(in: dir)
        let result = try hash(root)
        #expect(result.entries.map(\.path) == [
            "bashrc.d", "bashrc.d/10-hook.sh", "bashrc.d/make.conf.link",
            "make.conf",
            "package.accept_keywords", "package.accept_keywords/vim",
            "package.use", "package.use/ssh",
        ])
        let hook = try #require(result.entries.first { $0.path == "bashrc.d/10-hook.sh" })
        #expect(hook.type == .file)
        #expect(hook.mode == 0o755)
        #expect(hook.digest == ContentHasher.digest(.sha256, "echo hook\n"))
        let link = try #require(result.entries.first { $0.path == "bashrc.d/make.conf.link" })
        #expect(link.type == .symlink)
        #expect(link.symlinkTarget == "../make.conf")
        #expect(link.digest == nil)
        #expect(!result.entries.contains { $0.path.hasPrefix("/") || $0.path.contains(dir.path) })
        // Hashing again gives the same digest.
        #expect(try hash(root).digest == result.digest)
    }

    @Test func movingOrCopyingTheTreeKeepsTheDigest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let root = try makeTree(in: dir)
        let before = try hash(root)

        let moved = dir.path + "/elsewhere/deeper/portage-moved"
        try FileManager.default.createDirectory(atPath: dir.path + "/elsewhere/deeper", withIntermediateDirectories: true)
        #expect(rename(root, moved) == 0)
        #expect(try hash(moved) == before)

        // A copy preserving modes (as a clone would) in another directory.
        let other = try TemporaryDirectory()
        defer { other.remove() }
        let copy = try SystemProcessRunner().run(["cp", "-a", moved, other.path + "/copy"])
        #expect(copy.succeeded)
        #expect(try hash(other.path + "/copy").digest == before.digest)

        // A symlink as the root is followed; the link's own location does not matter.
        #expect(symlink(moved, dir.path + "/via-link") == 0)
        #expect(try hash(dir.path + "/via-link").digest == before.digest)
    }

    @Test func everyKindOfChangeChangesTheDigest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let root = try makeTree(in: dir)
        var seen: [Digest: String] = [:]
        func record(_ what: String) throws -> TreeDigest {
            let result = try hash(root)
            #expect(seen[result.digest] == nil, "\(what) gave the same digest as \(seen[result.digest] ?? "")")
            seen[result.digest] = what
            return result
        }
        var last = try record("original")

        func expectChange(_ what: String, _ path: String, _ change: () throws -> Void) throws {
            try change()
            let now = try record(what)
            let changes = TreeHasher.changes(from: last.entries, to: now.entries)
            #expect(changes.map(\.path).contains(path), "\(what): \(changes)")
            last = now
        }

        try expectChange("mode", "make.conf") { #expect(chmod(root + "/make.conf", 0o600) == 0) }
        try expectChange("symlink target", "bashrc.d/make.conf.link") {
            #expect(unlink(root + "/bashrc.d/make.conf.link") == 0)
            #expect(symlink("../package.use/ssh", root + "/bashrc.d/make.conf.link") == 0)
        }
        try expectChange("rename", "package.use/ssh2") {
            #expect(rename(root + "/package.use/ssh", root + "/package.use/ssh2") == 0)
        }
        try expectChange("empty dir", "package.mask") {
            #expect(mkdir(root + "/package.mask", 0o755) == 0)
        }
        try expectChange("content", "make.conf") {
            try "COMMON_FLAGS=\"-O3 -pipe\"\n".write(toFile: root + "/make.conf", atomically: false, encoding: .utf8)
        }
        try expectChange("file becomes symlink", "package.accept_keywords/vim") {
            #expect(unlink(root + "/package.accept_keywords/vim") == 0)
            #expect(symlink("/etc/hostname", root + "/package.accept_keywords/vim") == 0)
        }
        let description = TreeHasher.changes(from: last.entries, to: last.entries)
        #expect(description.isEmpty)
    }

    @Test func symlinksAreNeverFollowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let outside = try dir.write("outside.txt", "one\n")
        try dir.write("tree/file", "x\n")
        #expect(symlink(outside, dir.path + "/tree/out") == 0)
        let before = try hash(dir.path + "/tree")
        try "two, longer\n".write(toFile: outside, atomically: false, encoding: .utf8)
        #expect(try hash(dir.path + "/tree").digest == before.digest)
    }

    @Test func describesChangesForExplain() throws {
        let old = [TreeEntry(path: "a", type: .file, mode: 0o644, digest: ContentHasher.digest(.sha256, "1")),
                   TreeEntry(path: "b", type: .file, mode: 0o644, digest: ContentHasher.digest(.sha256, "2"))]
        let new = [TreeEntry(path: "a", type: .file, mode: 0o755, digest: ContentHasher.digest(.sha256, "1")),
                   TreeEntry(path: "c", type: .symlink, mode: 0, symlinkTarget: "a")]
        let changes = TreeHasher.changes(from: old, to: new)
        #expect(changes.map(\.description) == ["a: mode 644 → 755", "b: removed", "c: added"])
    }

    @Test func fileDigestsComeThroughTheGivenFunction() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let root = try makeTree(in: dir)
        let asked = PathLog()
        let hasher = TreeHasher(fileDigests: { paths in
            asked.add(paths)
            return try ParallelHasher.digests(of: paths)
        })
        let result = try hasher.hash(root)
        #expect(asked.paths.sorted() == result.entries.filter { $0.type == .file }.map { root + "/" + $0.path }.sorted())
        #expect(result == (try hash(root)))
    }

    @Test func rootMustBeADirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("plain", "x")
        #expect(throws: BasicsError.self) { try TreeHasher().hash(file) }
        #expect(throws: BasicsError.self) { try TreeHasher().hash(dir.path + "/missing") }
    }
}

/// Records the batches a test's digest function was asked for.
private final class PathLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func add(_ paths: [String]) { lock.lock(); storage += paths; lock.unlock() }
    var paths: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}
