import CBuildBasics
import CBuildGraph
import Foundation

/// Unpacks a stage4 tarball into a directory without privileges:
/// decompressor → `TarStreamFilter` (records every member's metadata, holds
/// back device nodes) → `tar -x` with ownership, xattrs and ACLs left to
/// the filesystem step. One pass over the compressed file.
enum StageUnpacker {
    /// The decompressor for a tarball's extension; nil for a plain `.tar`.
    static func decompressor(for path: String) -> [String]? {
        let name = (path as NSString).lastPathComponent
        func has(_ suffixes: String...) -> Bool { suffixes.contains { name.hasSuffix($0) } }
        if has(".tar.xz", ".txz", ".tar.lzma") { return ["xz", "-dc", "-T0"] }
        if has(".tar.bz2", ".tbz2") { return Executables.find("lbzip2") != nil ? ["lbzip2", "-dc"] : ["bzip2", "-dc"] }
        if has(".tar.gz", ".tgz") { return ["gzip", "-dc"] }
        if has(".tar.zst", ".tzst") { return ["zstd", "-dc"] }
        return nil
    }

    static func unpack(tarball: String, into directory: String, tools: ToolRunner) throws -> StageManifest {
        signal(SIGPIPE, SIG_IGN)   // a tar that dies early must give EPIPE, not kill cbuild
        let tarPath = try ToolRunner.require("tar")
        let log = open(tools.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw BasicsError.io(path: tools.logPath, operation: "open", errno: errno) }
        let logHandle = FileHandle(fileDescriptor: log, closeOnDealloc: true)
        let env = tools.mergedEnvironment

        var decompress: Process?
        var input: Int32
        var inputHandle: FileHandle?
        if let argv = decompressor(for: tarball) {
            let exe = try ToolRunner.require(argv[0])
            tools.note("$ " + (argv + [tarball]).map(ToolRunner.quote).joined(separator: " ") + " | cbuild-filter | tar -x -C " + directory)
            guard let file = FileHandle(forReadingAtPath: tarball) else {
                throw BasicsError.io(path: tarball, operation: "open", errno: errno)
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = Array(argv.dropFirst())
            p.environment = env
            p.standardInput = file
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = logHandle
            try p.run()
            try? pipe.fileHandleForWriting.close()
            decompress = p
            inputHandle = pipe.fileHandleForReading
            input = pipe.fileHandleForReading.fileDescriptor
        } else {
            tools.note("$ cbuild-filter < \(tarball) | tar -x -C \(directory)")
            guard let file = FileHandle(forReadingAtPath: tarball) else {
                throw BasicsError.io(path: tarball, operation: "open", errno: errno)
            }
            inputHandle = file
            input = file.fileDescriptor
        }

        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: tarPath)
        tar.arguments = ["-x", "-f", "-", "-C", directory, "--no-same-owner", "--same-permissions", "--numeric-owner",
                         "--no-xattrs", "--no-acls", "--no-selinux", "--warning=no-unknown-keyword"]
        tar.environment = env
        let tarIn = Pipe()
        tar.standardInput = tarIn
        tar.standardOutput = logHandle
        tar.standardError = logHandle
        do { try tar.run() } catch {
            decompress?.terminate()
            throw BasicsError.processLaunch(executable: "tar", reason: "\(error)")
        }
        try? tarIn.fileHandleForReading.close()

        let registry = tools.registry
        let filter = TarStreamFilter(input: input, output: tarIn.fileHandleForWriting.fileDescriptor,
                                     shouldStop: { registry?.isInterrupted == true })
        var failure: Error?
        do { try filter.run() } catch { failure = error }
        try? tarIn.fileHandleForWriting.close()
        if failure != nil { decompress?.terminate(); tar.terminate() }
        tar.waitUntilExit()
        decompress?.waitUntilExit()
        _ = inputHandle
        if failure is TarStreamFilter.Interrupted || registry?.isInterrupted == true {
            throw RuleFailure("interrupted", logPath: tools.logPath, interrupted: true)
        }
        if let decompress, decompress.terminationStatus != 0 {
            throw ImageError.toolFailed(command: decompressor(for: tarball)![0] + " (decompressing \((tarball as NSString).lastPathComponent))",
                                        status: decompress.terminationStatus, output: "see the node's log")
        }
        if let failure { throw failure }
        if tar.terminationStatus != 0 {
            throw ImageError.toolFailed(command: "tar -x", status: tar.terminationStatus, output: "see the node's log: \(tools.logPath)")
        }
        return filter.manifest
    }
}
