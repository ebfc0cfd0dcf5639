import CBuildBasics
import CBuildState
import Dispatch
import Foundation

/// `cbuild-bench hashing`: how fast cbuild reads content it has never seen
/// (one big file with ContentHasher, two files on two cores with
/// ParallelHasher) against `openssl dgst -sha256` and `sha256sum` on the
/// same files, and how fast the digest cache re-checks files it has seen.
/// Goals: ≥ 0.9× openssl on one file; ≥ 1.6× openssl's one-file rate over
/// two files on two cores.
struct HashingBenchmark {
    let sizeMiB: Int
    let repeats: Int
    let cacheFiles: Int

    init(arguments: [String]) throws {
        let o = try Bench.integerOptions(arguments, defaults: ["size-mb": 2048, "repeat": 3, "files": 10_000])
        sizeMiB = max(4, o["size-mb"]!)
        repeats = o["repeat"]!
        cacheFiles = o["files"]!
    }

    func run() throws {
        let dir = try Bench.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try hashingRates(in: dir)
        print("")
        try cacheRates(in: dir + "/cache")
    }

    // MARK: - First-time hashing

    private func hashingRates(in dir: String) throws {
        let bigMiB = sizeMiB / 2, smallMiB = sizeMiB / 4
        let big = dir + "/big.bin", small = [dir + "/small-1.bin", dir + "/small-2.bin"]
        try writeFile(big, mib: bigMiB, seed: 1)
        for (i, path) in small.enumerated() { try writeFile(path, mib: smallMiB, seed: UInt64(i + 2)) }
        // Warm the page cache so every contender reads from memory; nothing is dropped later.
        for path in [big] + small { _ = try ContentHasher.digestFile(at: path, .md5) }

        let cores = ParallelHasher.defaultConcurrency
        print("hashing: SHA-256 of content never seen before")
        print("files: \(bigMiB) MiB + 2 × \(smallMiB) MiB in \(dir); page cache warmed first (all runs read from memory)")
        print("cores: \(cores); best of \(repeats) runs; MiB/s = bytes / 2^20 / wall seconds; external tools timed including process start")
        print("cores busy = CPU seconds (this process + children) / wall seconds; below the worker count means other load took the CPU")
        print("")

        let bigBytes = Double(bigMiB), pairBytes = Double(2 * smallMiB)
        // Rounds interleave the contenders, so load from other processes
        // spreads over all of them; each keeps its fastest round.
        let openssl1 = ["openssl", "dgst", "-sha256", "-r"]
        var ours: Bench.Timing<Digest>?, openssl: Bench.Timing<String>?, coreutils: Bench.Timing<String>?
        var ceiling: Bench.Timing<Digest>?
        let block = [UInt8](repeating: 0x5a, count: 1 << 20)
        var parallel: Bench.Timing<[Digest]>?, opensslPair: Bench.Timing<[String]>?, opensslSerialPair: Bench.Timing<[String]>?
        for _ in 0..<repeats {
            ceiling = Bench.faster(ceiling, Bench.measure {
                let h = ContentHasher(.sha256)
                for _ in 0..<bigMiB { block.withUnsafeBytes { h.update($0) } }
                return h.finalize()
            })
            ours = Bench.faster(ours, try Bench.measure { try ContentHasher.digestFile(at: big, .sha256) })
            openssl = Bench.faster(openssl, try Bench.measure { try tool(openssl1 + [big]) })
            coreutils = Bench.faster(coreutils, try Bench.measure { try tool(["sha256sum", big]) })
            parallel = Bench.faster(parallel, try Bench.measure { try ParallelHasher.digests(of: small, algorithm: .sha256) })
            opensslPair = Bench.faster(opensslPair, try Bench.measure {
                try ParallelHasher.map(small, concurrency: 2) { try tool(openssl1 + [$0]) }.map { try $0.get() }
            })
            opensslSerialPair = Bench.faster(opensslSerialPair, try Bench.measure { try small.map { try tool(openssl1 + [$0]) } })
        }
        guard let ceiling, let ours, let openssl, let coreutils, let parallel, let opensslPair, let opensslSerialPair else { return }

        // Everyone must agree on the digests, or the rates mean nothing.
        guard ours.result.hex == openssl.result, ours.result.hex == coreutils.result,
              parallel.result.map(\.hex) == opensslPair.result else {
            throw Bench.UsageError(description: "digest mismatch between cbuild, openssl and sha256sum")
        }

        let reference = bigBytes / openssl.seconds
        func row<T>(_ name: String, _ mib: Double, _ t: Bench.Timing<T>, goal: String = "") -> [String] {
            let rate = mib / t.seconds
            return [name, Bench.format(rate), Bench.format(rate / reference, 2) + "×", Bench.format(t.coresBusy, 2), goal]
        }
        let oneRatio = (bigBytes / ours.seconds) / reference
        let twoRatio = (pairBytes / parallel.seconds) / reference
        Bench.printTable(["measurement", "MiB/s", "vs openssl 1 file", "cores busy", "goal"], [
            row("libcrypto on memory (no I/O: the ceiling)", bigBytes, ceiling),
            row("ContentHasher, 1 file", bigBytes, ours,
                goal: "≥ 0.90× " + (oneRatio >= 0.9 ? "met" : "NOT MET")),
            row("openssl dgst -sha256, 1 file", bigBytes, openssl),
            row("sha256sum, 1 file", bigBytes, coreutils),
            row("ParallelHasher, 2 files, \(min(2, cores)) cores", pairBytes, parallel,
                goal: "≥ 1.60× " + (twoRatio >= 1.6 ? "met" : "NOT MET")),
            row("openssl, 2 processes at once", pairBytes, opensslPair),
            row("openssl, 2 files one after the other", pairBytes, opensslSerialPair),
        ], leftAligned: [4])
    }

    /// Runs a hashing tool and returns the hex digest it printed first.
    private func tool(_ argv: [String]) throws -> String {
        let result = try SystemProcessRunner().run(argv)
        guard result.succeeded else {
            throw Bench.UsageError(description: "\(argv.joined(separator: " ")) failed: \(result.stderrString)")
        }
        return String(result.stdoutString.prefix { $0 != " " && $0 != "\n" })
    }

    /// Writes `mib` MiB of pseudo-random bytes (incompressible, never sparse).
    private func writeFile(_ path: String, mib: Int, seed: UInt64) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        let words = (1 << 20) / 8
        var block = [UInt64](repeating: 0, count: words)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in 0..<words {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            block[i] = state
        }
        for n in 0..<mib {
            block[0] = UInt64(n) ^ seed << 32   // every MiB differs
            let written = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == 1 << 20 else { throw BasicsError.io(path: path, operation: "write", errno: errno) }
        }
    }

    // MARK: - Digest cache re-check

    private func cacheRates(in dir: String) throws {
        let oneHourAgo = Int(Date().timeIntervalSince1970) - 3600
        var paths: [String] = []
        paths.reserveCapacity(cacheFiles)
        for i in 0..<cacheFiles {
            let sub = dir + "/tree/d\(i / 100)"
            if i % 100 == 0 { try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true) }
            let path = sub + "/f\(i)"
            try Data("file \(i)\n\(String(repeating: "x", count: i % 512))".utf8).write(to: URL(fileURLWithPath: path))
            // Old mtimes, so no entry is held back by the racy-git rule.
            var times = [timespec(tv_sec: oneHourAgo, tv_nsec: 0), timespec(tv_sec: oneHourAgo, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, path, &times, 0)
            paths.append(path)
        }
        let (database, _) = try StateDatabase.open(at: dir + "/state.db")

        print("digest cache: \(cacheFiles) small files, state.db on disk, one run each (first run hashes and stores)")
        print("")
        let firstCache = DigestCache(database: database)
        let first = try Bench.best(of: 1) { try firstCache.digests(of: paths) }
        let flush = try Bench.best(of: 1) { try firstCache.flush() }
        // A new command: a fresh cache object reads its rows from the database, then only stats.
        let freshCache = DigestCache(database: database)
        let fresh = try Bench.best(of: 1) { try freshCache.digests(of: paths) }
        // The same command asking again: rows already in memory.
        let warm = try Bench.best(of: repeats) { try freshCache.digests(of: paths) }
        let treeCache = DigestCache(database: database)
        let tree = try Bench.best(of: 1) { try TreeHasher(cache: treeCache).hash(dir + "/tree") }

        guard firstCache.misses == cacheFiles, freshCache.hits == cacheFiles * (1 + repeats), freshCache.misses == 0,
              treeCache.hits == cacheFiles, first.result == fresh.result else {
            throw Bench.UsageError(description: "digest cache counters are off: first misses \(firstCache.misses), fresh hits \(freshCache.hits)/misses \(freshCache.misses), tree hits \(treeCache.hits)")
        }
        let n = Double(cacheFiles)
        Bench.printTable(["measurement", "files/s", "ms total"], [
            ["first run: stat + hash + remember", Bench.format(n / first.seconds), Bench.format(first.seconds * 1000, 1)],
            ["flush: one transaction of \(cacheFiles) rows", Bench.format(n / flush.seconds), Bench.format(flush.seconds * 1000, 1)],
            ["re-check, new command (load rows + stat)", Bench.format(n / fresh.seconds), Bench.format(fresh.seconds * 1000, 1)],
            ["re-check, same command (stat only)", Bench.format(n / warm.seconds), Bench.format(warm.seconds * 1000, 1)],
            ["tree digest of all, new command (walk + cache)", Bench.format(n / tree.seconds), Bench.format(tree.seconds * 1000, 1)],
        ])
    }
}
