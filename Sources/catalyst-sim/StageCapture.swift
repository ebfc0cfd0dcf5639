import CBuildBasics
import Foundation

/// Catalyst's capture step and its companions (`capture()` in stagebase.py,
/// genbase.py): the stage tarball at `storedir/builds/<build>.<ext>`, the
/// gzipped `tar -tv` listing `.CONTENTS.gz`, `.DIGESTS` and `.sha256`.
/// The simulator makes them reproducible — entries sorted by name, every
/// mtime SOURCE_DATE_EPOCH (0 by default), owner root:0, single-threaded xz,
/// gzip without name or time — so identical inputs give identical bytes
/// (real catalyst's CONTENTS.gz embeds a time).
enum StageCapture {
    /// Packs `root` into `file` with the compressor `mode` selects.
    static func tarball(root: String, file: String, mode: String, epoch: Int) throws -> Bool {
        var argv = ["tar", "--sort=name", "--format=gnu", "--mtime=@\(epoch)", "--owner=root:0", "--group=root:0"]
        if let compressor = CompressionModes.compressor(for: mode) { argv.append("--use-compress-program=\(compressor)") }
        argv += ["-C", root, "-cf", file, "."]
        let r = try ToolRunner.run(argv)
        if r.status != 0 {
            CatalystLog.writeAll(r.stderrString, to: 2)
            return false
        }
        return true
    }

    /// Packs `root` like `tarball` and stores it in an .xz container
    /// without compressing (`StoredXZWriter`): for stages made big by the
    /// payload knob, which xz would spend minutes on. tar writes to a pipe;
    /// its messages go to the simulator's stderr.
    static func storedXZTarball(root: String, file: String, epoch: Int) throws -> Bool {
        let tar = Process()
        guard let exe = Executables.find("tar") else {
            throw SimFailure.python(PythonException("FileNotFoundError", "tar not found in PATH"))
        }
        tar.executableURL = URL(fileURLWithPath: exe)
        tar.arguments = ["--sort=name", "--format=gnu", "--mtime=@\(epoch)", "--owner=root:0", "--group=root:0",
                         "-C", root, "-cf", "-", "."]
        var env = ProcessInfo.processInfo.environment
        env["TAR_OPTIONS"] = nil
        env["LC_ALL"] = "C"
        tar.environment = env
        let pipe = Pipe()
        tar.standardOutput = pipe
        tar.standardError = FileHandle.standardError
        tar.standardInput = FileHandle.nullDevice
        try tar.run()
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            tar.terminate()
            tar.waitUntilExit()
            throw SimFailure.python(PythonException("OSError", "[Errno \(errno)] \(String(cString: strerror(errno))): '\(file)'"))
        }
        defer { close(fd) }
        var writer = try StoredXZWriter(fd: fd, path: file)
        let input = pipe.fileHandleForReading.fileDescriptor
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var ended = false
        while !ended {
            // Fill the whole buffer (pipes deliver 64 KiB at a time) so chunks are full.
            var filled = 0
            while filled < buffer.count {
                let n = read(input, buffer.baseAddress! + filled, buffer.count - filled)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { ended = true; break }
                filled += n
            }
            if filled > 0 { try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<filled])) }
        }
        tar.waitUntilExit()
        guard tar.terminationReason == .exit, tar.terminationStatus == 0 else { return false }
        try writer.finish()
        return true
    }

    /// `<tarball>.CONTENTS.gz`: the `tar -tv` listing, gzipped.
    static func contents(tarball: String) throws {
        let list = try ToolRunner.run(["tar", "--xattrs", "-tvf", tarball])
        guard list.status == 0 else {
            throw SimFailure.python(PythonException("OSError", "tar -tvf \(tarball) failed: \(list.stderrString)"))
        }
        let gz = try ToolRunner.run(["gzip", "-n", "-9", "-c"], input: list.stdout)
        guard gz.status == 0, FileManager.default.createFile(atPath: tarball + ".CONTENTS.gz", contents: Data(gz.stdout)) else {
            throw SimFailure.python(PythonException("OSError", "cannot write \(tarball).CONTENTS.gz"))
        }
    }

    static func algorithm(_ name: String) -> Digest.Algorithm? {
        switch name {
        case "blake2b", "blake2": return .blake2b512
        case "sha512": return .sha512
        case "sha256": return .sha256
        case "md5": return .md5
        default: return nil
        }
    }

    /// `.DIGESTS` and `.sha256`, written only when catalyst.conf has `digests`.
    /// Catalyst 4: per file (tarball, then CONTENTS.gz) and per digest a
    /// `# NAME HASH` line and `<hex>  <basename>`. Catalyst 3: the same shape
    /// from shash, except blake2 which is b2sum's own line with the full path
    /// under `# BLAKE2 (b2sum) HASH`; digests sorted; missing files skipped.
    static func digests(tarball: String, names: [String], flavor: Flavor) throws {
        let files = [tarball, tarball + ".CONTENTS.gz"].filter { flavor == .four || FileOps.isFile($0) }
        var text = ""
        let ordered = flavor == .three ? Array(Set(names)).sorted() : names
        for file in files {
            let base = (file as NSString).lastPathComponent
            let algorithms = ordered.compactMap(algorithm)
            let values = try ContentHasher.digestFile(at: file, algorithms: algorithms)
            for (name, digest) in zip(ordered.filter { algorithm($0) != nil }, values) {
                if flavor == .three, name == "blake2" {
                    text += "# BLAKE2 (b2sum) HASH\n\(digest.hex)  \(file)\n"
                } else {
                    text += "# \(name.uppercased()) HASH\n\(digest.hex)  \(base)\n"
                }
            }
        }
        try FileOps.writeFile(tarball + ".DIGESTS", text)
        let sha = try ContentHasher.digestFile(at: tarball)
        try FileOps.writeFile(tarball + ".sha256", "# SHA256 HASH\n\(sha.hex)  \((tarball as NSString).lastPathComponent)\n")
    }
}
