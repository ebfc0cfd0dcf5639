import Testing
import Foundation
@testable import CBuildBasics
import CBuildTestSupport

/// lstat/stat facts: sizes, modes, nanosecond times, symlinks, missing paths.
@Suite struct FileStatTests {
    @Test func regularFileSizeModeAndNanosecondTimes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("a.txt", "hello\n")
        #expect(chmod(path, 0o640) == 0)
        var times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789),
                     timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)

        let st = try FileStat.of(path)
        #expect(st.type == .file)
        #expect(st.size == 6)
        #expect(st.permissions == 0o640)
        #expect(st.mtimeNs == 1_700_000_000_123_456_789)
        #expect(st.ctimeNs > st.mtimeNs, "ctime is when utimensat ran, now")
        #expect(st.symlinkTarget == nil)
        #expect(st.inode != 0)

        // An open descriptor describes the same file.
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        #expect(try FileStat.of(descriptor: fd, path: path) == st)
    }

    @Test func symlinkDescribedOrFollowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("target.txt", "0123456789")
        let link = dir.path + "/link"
        #expect(symlink("target.txt", link) == 0)

        let own = try FileStat.of(link, followSymlinks: false)
        #expect(own.type == .symlink)
        #expect(own.symlinkTarget == "target.txt")

        let followed = try FileStat.of(link, followSymlinks: true)
        #expect(followed.type == .file)
        #expect(followed.size == 10)
        #expect(followed.symlinkTarget == nil)
        #expect(followed.inode == (try FileStat.of(dir.path + "/target.txt")).inode)

        // A long target text is read whole.
        let long = String(repeating: "d/", count: 400) + "x"
        #expect(symlink(long, dir.path + "/long") == 0)
        #expect(try FileStat.of(dir.path + "/long").symlinkTarget == long)
    }

    @Test func directoriesFifosAndMissingPaths() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try FileStat.of(dir.path).type == .directory)
        #expect(mkfifo(dir.path + "/fifo", 0o600) == 0)
        #expect(try FileStat.of(dir.path + "/fifo").type == .other)

        #expect(try FileStat.ifExists(dir.path + "/missing") == nil)
        #expect(try FileStat.ifExists(dir.path + "/fifo/below") == nil)
        #expect {
            try FileStat.of(dir.path + "/missing")
        } throws: { error in
            guard case let BasicsError.io(path, _, code) = error else { return false }
            return path == dir.path + "/missing" && code == ENOENT
        }
        // A dangling symlink exists for lstat but not for stat.
        #expect(symlink("nowhere", dir.path + "/dangling") == 0)
        #expect(try FileStat.ifExists(dir.path + "/dangling")?.type == .symlink)
        #expect(try FileStat.ifExists(dir.path + "/dangling", followSymlinks: true) == nil)
    }
}
