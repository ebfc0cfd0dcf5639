import Testing
import Foundation
@testable import CBuildBasics
import CBuildTestSupport

/// `AtomicFile.write`: whole files by rename, the mode as asked, parents
/// made on demand, and no temporary file left behind either way.
@Suite struct AtomicFileTests {
    private func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }

    @Test func writesTheBytesWithExactlyTheModeAskedWhateverTheUmask() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let path = dir.path + "/out.txt"
        // 0o666 survives the usual umask (022) only if the mode is set after creating.
        try AtomicFile.write(path, Array("first\n".utf8), mode: 0o666)
        #expect(try dir.read("out.txt") == "first\n")
        #expect(try FileStat.of(path).permissions == 0o666)
        try AtomicFile.write(path, [], mode: 0o600)
        #expect(try dir.read("out.txt") == "")
        #expect(try FileStat.of(path).permissions == 0o600)
        #expect(leftovers(dir.path).isEmpty)
    }

    @Test func replacesByRenameSoAnOpenReaderKeepsTheOldFile() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let path = dir.path + "/out.txt"
        try AtomicFile.write(path, Array("old\n".utf8), mode: 0o644)
        let before = try FileStat.of(path)
        let reader = open(path, O_RDONLY)
        #expect(reader >= 0)
        defer { close(reader) }
        try AtomicFile.write(path, Array("new contents\n".utf8), mode: 0o644)
        #expect(try FileStat.of(path).inode != before.inode)
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self) == "old\n")
        #expect(try dir.read("out.txt") == "new contents\n")
    }

    @Test func missingParentsAreMade() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        try AtomicFile.write(dir.path + "/a/b/c/out.txt", Array("deep\n".utf8), mode: 0o644)
        #expect(try dir.read("a/b/c/out.txt") == "deep\n")
        #expect(leftovers(dir.path + "/a/b/c").isEmpty)
    }

    @Test func aFailureNamesThePathAndLeavesNothing() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        try dir.write("plain", "a file, not a directory\n")
        #expect {
            try AtomicFile.write(dir.path + "/plain/out.txt", Array("x".utf8), mode: 0o644)
        } throws: { error in
            guard case let BasicsError.io(path, _, _) = error else { return false }
            return path.hasPrefix(dir.path + "/plain")
        }
        // A rename that cannot happen (the target is a non-empty directory):
        // the temporary file is removed and the directory is untouched.
        try dir.write("taken/inside.txt", "stays\n")
        #expect {
            try AtomicFile.write(dir.path + "/taken", Array("x".utf8), mode: 0o644)
        } throws: { error in
            guard case let BasicsError.io(path, operation, _) = error else { return false }
            return path == dir.path + "/taken" && operation == "rename"
        }
        #expect(leftovers(dir.path).isEmpty)
        #expect(try dir.read("taken/inside.txt") == "stays\n")
    }
}
