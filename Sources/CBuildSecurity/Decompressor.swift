import CBuildBasics
import Foundation

/// A compressed tarball's bytes as a tar stream: a decompressor child
/// process (`xz -dc`, `lbzip2`/`bzip2 -dc`, `gzip -dc`, `zstd -dc`) whose
/// output is read through a pipe, or the file itself for a plain `.tar`.
/// The decompressor is chosen from the file name, as catalyst names its
/// outputs for each `compression_mode`.
final class Decompressor {
    let fd: Int32
    private let process: Process?
    private let handles: [FileHandle]
    let command: String

    static func argv(for path: String) -> [String]? {
        let name = (path as NSString).lastPathComponent
        func has(_ s: String...) -> Bool { s.contains { name.hasSuffix($0) } }
        if has(".tar.xz", ".txz", ".tar.lzma") { return ["xz", "-dc", "-T0"] }
        if has(".tar.bz2", ".tbz2") { return Executables.find("lbzip2") != nil ? ["lbzip2", "-dc"] : ["bzip2", "-dc"] }
        if has(".tar.gz", ".tgz") { return ["gzip", "-dc"] }
        if has(".tar.zst", ".tzst") { return ["zstd", "-dc"] }
        return nil
    }

    init(path: String, displayPath: String) throws {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw SecurityError.unreadableStage(file: displayPath, reason: String(cString: strerror(errno)))
        }
        guard let argv = Self.argv(for: path) else {
            fd = file.fileDescriptor; process = nil; handles = [file]; command = "tar"
            return
        }
        guard let exe = Executables.find(argv[0]) else {
            throw SecurityError.toolMissing(argv[0], package: argv[0] == "xz" ? "xz-utils" : argv[0])
        }
        signal(SIGPIPE, SIG_IGN)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = Array(argv.dropFirst())
        p.standardInput = file
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        try? pipe.fileHandleForWriting.close()
        fd = pipe.fileHandleForReading.fileDescriptor
        process = p; handles = [file, pipe.fileHandleForReading]; command = argv[0]
    }

    /// Stops the decompressor (when the reader finished early) and returns its exit status.
    func finish(early: Bool) -> Int32 {
        guard let process else { return 0 }
        if early { process.terminate() }
        for h in handles { try? h.close() }
        process.waitUntilExit()
        return early ? 0 : process.terminationStatus
    }
}
