import Foundation

/// Writes a whole file so readers never see half of it: the bytes go to a
/// temporary file beside it, which is then renamed over the path.
///
/// Not flushed to disk (no fsync), like ninja's and make's outputs: after a
/// power loss a file may be short or empty, and its changed size and times
/// make the digest cache hash it again, so a damaged output is found and
/// rebuilt instead of trusted (docs/state.md, "What a crash can lose").
/// Foundation's `createFile` and `.atomic` writes flushed every output,
/// which cost most of a first build's system time on 1,000 small actions.
public enum AtomicFile {
    public static func write(_ path: String, _ bytes: [UInt8], mode: Int) throws {
        let tmp = path + ".tmp-\(getpid())"
        var fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        if fd < 0 && errno == ENOENT {
            // Its directory is created only when the first write finds it missing.
            let dir = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        }
        guard fd >= 0 else { throw BasicsError.io(path: tmp, operation: "create", errno: errno) }
        var failure: Int32 = 0
        // The mode exactly as asked, whatever the umask.
        if fchmod(fd, mode_t(mode)) != 0 { failure = errno }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while failure == 0 && offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno != EINTR { failure = errno } } else { offset += n }
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        guard failure == 0 else {
            unlink(tmp)
            throw BasicsError.io(path: tmp, operation: "write", errno: failure)
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw BasicsError.io(path: path, operation: "rename", errno: e)
        }
    }
}
