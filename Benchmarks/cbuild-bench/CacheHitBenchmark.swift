import CBuildBasics
import Foundation

/// `cbuild-bench cache-hit`: what a cache hit for a big stage costs, through
/// the real `cbuild` and catalyst simulator, on copies of the repository's
/// example build directory sharing a loopback nginx WebDAV cache.
/// Directory A builds `stage4/vm/test` with an n MiB payload and pushes it;
/// a fresh directory B per round builds the same node: a hit (download,
/// SHA-256 check, install; the simulator must not run). In A, a changed
/// input is built and restored, and the next build makes the earlier big
/// build current again without running anything (local reuse). Baselines on
/// the same disk and server: `curl -o` of the same blob then `sha256sum`
/// (the least a hit must do; also with `openssl dgst -sha256`, the SHA-256
/// code cbuild uses, which coreutils' sha256sum may be much slower than)
/// and `cp --reflink=never` of the stage. Dirty pages are synced before
/// every timed step, so no step pays for an earlier one's writeback.
/// Goal: a hit within 1.1× of curl + sha256sum.
struct CacheHitBenchmark {
    static let node = "stage4/vm/test"
    let sizeMiB: Int
    let repeats: Int

    init(arguments: [String]) throws {
        let o = try Bench.integerOptions(arguments, defaults: ["size-mb": 1024, "repeat": 3])
        sizeMiB = o["size-mb"]!
        repeats = o["repeat"]!
    }

    func run() throws {
        guard let curl = Executables.find("curl") else { throw Bench.UsageError(description: "curl is not installed") }
        guard let openssl = Executables.find("openssl") else { throw Bench.UsageError(description: "openssl is not installed") }
        let products = try CacheHitProducts.locate()
        let scratch = try Bench.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // At the peak: the payload in A's stage root or its tarball, the
        // cache's copy, B's copy or curl's, and A's tarball.
        var fs = statvfs()
        if statvfs(scratch, &fs) == 0, Int64(fs.f_bavail) * Int64(fs.f_frsize) < Int64(sizeMiB) * 4 << 20 {
            throw Bench.UsageError(description: "\(scratch) has less than \(sizeMiB * 4) MiB free; set TMPDIR or pass a smaller --size-mb")
        }
        let server = try BenchWebDAV(directory: scratch + "/nginx")
        defer { server.stop() }
        let template = try CacheHitExample.Template(scratch: scratch + "/template")

        // 1. A builds the big stage and pushes it.
        let a = try CacheHitExample(path: scratch + "/a", template: template, packageRoot: products.packageRoot, cache: server.baseURL)
        let built = try Bench.measure { try products.cbuild(a, payloadMiB: sizeMiB) }
        let first = try CacheHitProducts.require(built.result, "A's first build", contains: "1 built")
        guard a.simRuns() == 1 else { throw Bench.UsageError(description: "A's first build ran the simulator \(a.simRuns()) times\n\(first)") }
        let stage = try FileManager.default.destinationOfSymbolicLink(atPath: a.outLink)
        let stageFile = (a.outLink as NSString).deletingLastPathComponent + "/" + stage
        let bytes = try Self.size(stageFile)
        let hex = try ContentHasher.digestFile(at: stageFile).hex
        guard FileManager.default.fileExists(atPath: server.directory + "/store/cas/" + hex) else {
            throw Bench.UsageError(description: "A did not push its stage to the cache\n\(first)")
        }
        let blobURL = "\(server.baseURL)/cas/\(hex)"
        let mib = Double(bytes) / Double(1 << 20)
        print("cache-hit: \(Self.node) of the example directory, stage \(Bench.format(mib)) MiB (\(sizeMiB) MiB simulator payload),")
        print("nginx WebDAV cache on 127.0.0.1; A's build and push took \(Bench.format(built.seconds, 1)) s")
        print("best of \(repeats) rounds; each cbuild timed as a whole process (start, keys, lookup, download, check, install, record)")
        print("")

        var hit: Bench.Timing<Void>?, noOp: Bench.Timing<Void>?, noOpAgain: Bench.Timing<Void>?, reuse: Bench.Timing<Void>?
        var curlSum: Bench.Timing<Void>?, curlOpenSSL: Bench.Timing<Void>?, copy: Bench.Timing<Void>?
        for round in 0..<repeats {
            // 2. A cache hit in a fresh directory B.
            let b = try CacheHitExample(path: scratch + "/b-\(round)", template: template, packageRoot: products.packageRoot,
                                        cache: server.baseURL)
            sync()
            let h = try Bench.measure { try products.cbuild(b, payloadMiB: sizeMiB) }
            let out = try CacheHitProducts.require(h.result, "B's build", contains: "1 from cache")
            guard b.simRuns() == 0 else { throw Bench.UsageError(description: "B ran the simulator on a cache hit\n\(out)") }
            guard try Self.size(b.outLink) == bytes else { throw Bench.UsageError(description: "B's installed stage has the wrong size") }
            hit = Bench.faster(hit, h.map { _ in })
            // The next commands in B: nothing to build. The first checks the
            // fetched files against their recorded digests by reading them
            // (the digest cache has no entry for them yet), the second by stat.
            for again in [false, true] {
                sync()
                let n = try Bench.measure { try products.cbuild(b, payloadMiB: sizeMiB) }
                _ = try CacheHitProducts.require(n.result, "B's no-op build", contains: "nothing to do")
                if again { noOpAgain = Bench.faster(noOpAgain, n.map { _ in }) } else { noOp = Bench.faster(noOp, n.map { _ in }) }
            }
            try FileManager.default.removeItem(atPath: b.path)

            // 3. Local reuse in A: change an input, build it, restore it; time the build that follows.
            let runs = a.simRuns()
            try a.changeTarget(round: round)
            _ = try CacheHitProducts.require(try products.cbuild(a, payloadMiB: 0), "A's build of the changed target", contains: "1 built")
            try a.restoreTarget()
            sync()
            let r = try Bench.measure { try products.cbuild(a, payloadMiB: sizeMiB) }
            let reused = try CacheHitProducts.require(r.result, "A's build after restoring", contains: "1 reused")
            guard a.simRuns() == runs + 1, try FileManager.default.destinationOfSymbolicLink(atPath: a.outLink) == stage else {
                throw Bench.UsageError(description: "A's restored build did not make the earlier stage current\n\(reused)")
            }
            reuse = Bench.faster(reuse, r.map { _ in })

            // 4. Baselines: move the bytes and check them; one copy on this disk.
            let fetched = scratch + "/curl.bin", copied = scratch + "/copy.bin"
            for hasher in [["sha256sum"], [openssl, "dgst", "-sha256", "-r"]] {
                sync()
                let c = try Bench.measure { () throws -> String in
                    try CacheHitProducts.tool([curl, "-sS", "-f", "-o", fetched, blobURL])
                    return try CacheHitProducts.tool(hasher + [fetched])
                }
                guard c.result.hasPrefix(hex) else { throw Bench.UsageError(description: "curl fetched different bytes: \(c.result)") }
                if hasher == ["sha256sum"] { curlSum = Bench.faster(curlSum, c.map { _ in }) }
                else { curlOpenSSL = Bench.faster(curlOpenSSL, c.map { _ in }) }
                unlink(fetched)
            }
            sync()
            copy = Bench.faster(copy, try Bench.measure { _ = try CacheHitProducts.tool(["cp", "--reflink=never", stageFile, copied]) })
            unlink(copied)
        }

        func s(_ t: Bench.Timing<Void>?) -> String { Bench.format(t!.seconds, 2) }
        func rate(_ t: Bench.Timing<Void>?) -> String { Bench.format(mib / t!.seconds) }
        func cores(_ t: Bench.Timing<Void>?) -> String { Bench.format(t!.coresBusy, 2) }
        Bench.printTable(["path", "seconds", "MiB/s", "cores busy"], [
            ["cache hit: cbuild in a fresh directory", s(hit), rate(hit), cores(hit)],
            ["next cbuild there (no-op)", s(noOp), "", cores(noOp)],
            ["the one after (no-op)", s(noOpAgain), "", cores(noOpAgain)],
            ["local reuse: cbuild makes the earlier build current", s(reuse), "", cores(reuse)],
            ["baseline: curl -o + sha256sum of the blob", s(curlSum), rate(curlSum), cores(curlSum)],
            ["baseline: curl -o + openssl dgst -sha256", s(curlOpenSSL), rate(curlOpenSSL), cores(curlOpenSSL)],
            ["baseline: cp --reflink=never of the stage", s(copy), rate(copy), cores(copy)],
        ])
        print("")
        func ratio(_ x: Bench.Timing<Void>?, _ y: Bench.Timing<Void>?) -> String { Bench.format(x!.seconds / y!.seconds, 2) + "×" }
        Bench.printTable(["ratio", "value", "goal"], [
            ["cache hit / (curl + sha256sum)", ratio(hit, curlSum), "≤ 1.1×"],
            ["cache hit / (curl + openssl sha256)", ratio(hit, curlOpenSSL), "(stricter: cbuild's SHA-256 code)"],
            ["cache hit / local reuse", ratio(hit, reuse), "(informational)"],
            ["local reuse / cp", ratio(reuse, copy), "(informational)"],
        ])
    }

    static func size(_ path: String) throws -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw BasicsError.io(path: path, operation: "stat", errno: errno) }
        return Int64(st.st_size)
    }
}

extension Bench.Timing {
    func map<U>(_ transform: (T) -> U) -> Bench.Timing<U> {
        Bench.Timing<U>(seconds: seconds, coresBusy: coresBusy, result: transform(result))
    }
}

/// The release-mode `cbuild` and `catalyst-sim` beside this executable (as
/// `scripts/bench` builds them) and the package root holding the example
/// build directory.
struct CacheHitProducts {
    let cbuildPath: String
    let simulator: String
    let packageRoot: String

    static func locate() throws -> CacheHitProducts {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let directory = (me as NSString).deletingLastPathComponent
        let cbuild = directory + "/cbuild", sim = directory + "/catalyst-sim"
        for p in [cbuild, sim] where !FileManager.default.isExecutableFile(atPath: p) {
            throw Bench.UsageError(description: "\(p) is missing: build it beside cbuild-bench (scripts/bench cache-hit does)")
        }
        var root = directory
        while root != "/" && !FileManager.default.fileExists(atPath: root + "/Package.swift") {
            root = (root as NSString).deletingLastPathComponent
        }
        guard root != "/" else { throw Bench.UsageError(description: "no Package.swift above \(directory)") }
        return CacheHitProducts(cbuildPath: cbuild, simulator: sim, packageRoot: root)
    }

    /// `cbuild -C DIR build --catalyst SIM stage4/vm/test` with the payload knob.
    func cbuild(_ dir: CacheHitExample, payloadMiB: Int) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CATALYST_SIM_") }
        env["TERM"] = "dumb"
        env["CATALYST_SIM_RUNS_FILE"] = dir.runsFile
        env["CATALYST_SIM_PAYLOAD_MB"] = String(payloadMiB)
        return try SystemProcessRunner().run([cbuildPath, "-C", dir.path, "build", "--catalyst", simulator, CacheHitBenchmark.node],
                                             environment: env, currentDirectory: dir.path, input: nil)
    }

    /// A cbuild run that exited 0 and said `expected`; its output.
    static func require(_ result: ProcessResult, _ what: String, contains expected: String) throws -> String {
        let text = result.stdoutString + result.stderrString
        guard result.succeeded, text.contains(expected) else {
            throw Bench.UsageError(description: "\(what): expected exit 0 and '\(expected)', got exit \(result.status)\n\(text)")
        }
        return text
    }

    /// Runs a tool, requires exit 0, returns its standard output.
    @discardableResult
    static func tool(_ argv: [String], in directory: String? = nil) throws -> String {
        let r = try SystemProcessRunner().run(argv, environment: nil, currentDirectory: directory, input: nil)
        guard r.succeeded else { throw Bench.UsageError(description: "\(argv.joined(separator: " ")) failed: \(r.stderrString)") }
        return r.stdoutString
    }
}

/// A copy of the repository's example build directory (as the tests'
/// `ExampleBuildDirectory` makes one: config entries copied, a squashfs
/// snapshot and a tar.xz seed with role links) using the benchmark's cache
/// with an HMAC key and push on.
struct CacheHitExample {
    static let entries = ["cbuild.toml", "targets", "features", "fleets", "specs", "kernel", "portage", "overlays",
                          "scripts/fsscripts", "keys"]
    static let snapshot = "gentoo-20261124.xz.sqfs"
    static let seed = "stage3-amd64-openrc-20261120T170000Z.tar.xz"

    /// One snapshot and one seed made once and copied into every directory,
    /// so every copy computes the same keys.
    struct Template {
        let directory: String
        init(scratch: String) throws {
            directory = scratch
            let snap = scratch + "/snapshot-tree", seed = scratch + "/seed-tree"
            for (file, text) in [(snap + "/metadata/timestamp.chk", "20261124\n"), (snap + "/app-misc/hello/hello-1.0.ebuild", "EAPI=8\n"),
                                 (seed + "/etc/gentoo-release", "Gentoo Base System release 2.17 (seed 20261120T170000Z)\n")] {
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: file, atomically: false, encoding: .utf8)
            }
            try CacheHitProducts.tool(["mksquashfs", snap, scratch + "/" + CacheHitExample.snapshot, "-noappend", "-quiet", "-comp", "xz",
                                       "-all-root", "-mkfs-time", "0", "-all-time", "0"])
            try CacheHitProducts.tool(["tar", "-C", seed, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                                       "-cJf", scratch + "/" + CacheHitExample.seed, "."])
        }
    }

    let path: String
    private let original: String
    var runsFile: String { path + "/sim-runs.txt" }
    var outLink: String { path + "/artifacts/out/\(CacheHitBenchmark.node).tar.xz" }
    var targetFile: String { path + "/targets/vm/test.toml" }

    init(path: String, template: Template, packageRoot: String, cache: String) throws {
        self.path = path
        let fm = FileManager.default
        for e in Self.entries where fm.fileExists(atPath: packageRoot + "/" + e) {
            try fm.createDirectory(atPath: ((path + "/" + e) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: packageRoot + "/" + e, toPath: path + "/" + e)
        }
        let snapshots = path + "/artifacts/snapshots", seeds = path + "/artifacts/builds/seeds"
        for d in [snapshots, seeds, path + "/secrets"] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: template.directory + "/" + Self.snapshot, toPath: snapshots + "/" + Self.snapshot)
        try fm.createSymbolicLink(atPath: snapshots + "/gentoo-stable.sqfs", withDestinationPath: Self.snapshot)
        try fm.copyItem(atPath: template.directory + "/" + Self.seed, toPath: seeds + "/" + Self.seed)
        try fm.createSymbolicLink(atPath: seeds + "/amd64-openrc-stable.tar.xz", withDestinationPath: Self.seed)
        try "cbuild-bench shared cache key\n".write(toFile: path + "/secrets/cache.key", atomically: false, encoding: .utf8)
        let toml = try String(contentsOfFile: path + "/cbuild.toml", encoding: .utf8) + """

            [cache]
            remote = "\(cache)"
            push = true
            sign_key = "secrets/cache.key"

            """
        try toml.write(toFile: path + "/cbuild.toml", atomically: false, encoding: .utf8)
        original = try String(contentsOfFile: path + "/targets/vm/test.toml", encoding: .utf8)
    }

    func simRuns() -> Int {
        ((try? String(contentsOfFile: runsFile, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// One more package for vm/test, another each round: a key never built before.
    func changeTarget(round: Int) throws {
        let changed = original.replacingOccurrences(of: "packages = [", with: "packages = [\"app-misc/benchextra\(round)\", ")
        guard changed != original else { throw Bench.UsageError(description: "\(targetFile) has no packages line to change") }
        try changed.write(toFile: targetFile, atomically: false, encoding: .utf8)
    }

    func restoreTarget() throws {
        try original.write(toFile: targetFile, atomically: false, encoding: .utf8)
    }
}
