import CBuildBasics
import CBuildSecurity
import Foundation

/// `cbuild-bench manifest [--size-mb N] [--packages N] [--repeat N]`:
/// reading a stage's package manifest (cbuild's one streaming pass over
/// the .tar.xz, keeping only var/db/pkg's small files) against
/// `tar -xJf STAGE var/db/pkg` of the same file, the obvious shell way,
/// which also decompresses everything. Best of N each; the stage is a
/// synthetic ~N MiB tree (filler files + N packages' vdb entries) packed
/// with `tar -cJ`.
struct ManifestBenchmark {
    let sizeMB: Int
    let packages: Int
    let repeats: Int

    init(arguments: [String]) throws {
        let o = try Bench.integerOptions(arguments, defaults: ["size-mb": 1024, "packages": 900, "repeat": 3])
        sizeMB = o["size-mb"]!; packages = o["packages"]!; repeats = o["repeat"]!
    }

    func run() throws {
        let dir = try Bench.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tree = dir + "/tree", stage = dir + "/stage4.tar.xz"
        let fm = FileManager.default
        for i in 0..<packages {
            let d = tree + "/var/db/pkg/cat-\(i % 40)/pkg\(i)-1.\(i)"
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
            for (f, v) in [("CATEGORY", "cat-\(i % 40)"), ("PF", "pkg\(i)-1.\(i)"), ("SLOT", "0"), ("repository", "gentoo"),
                           ("USE", "amd64 ipv6 ssl"), ("CONTENTS", String(repeating: "obj /usr/lib/x 0123456789abcdef 1\n", count: 40))] {
                try (v + "\n").write(toFile: d + "/" + f, atomically: false, encoding: .utf8)
            }
        }
        // Filler that compresses about as well as a real stage (~3:1): half random, half zeros, in 4 MiB files.
        try fm.createDirectory(atPath: tree + "/usr/lib", withIntermediateDirectories: true)
        let shell = SystemProcessRunner()
        for i in 0..<max(1, sizeMB / 4) {
            let r = try shell.run(["sh", "-c", "{ head -c 2097152 /dev/urandom; head -c 2097152 /dev/zero; } > \(tree)/usr/lib/filler\(i)"])
            guard r.succeeded else { throw Bench.UsageError(description: r.stderrString) }
        }
        let pack = try shell.run(["tar", "-C", tree, "-cf", stage, "-I", "xz -T0 -1", "."])
        guard pack.succeeded else { throw Bench.UsageError(description: "tar -c: \(pack.stderrString)") }
        let size = (try fm.attributesOfItem(atPath: stage)[.size] as? Int64) ?? 0
        print("manifest: stage4 \(sizeMB) MiB unpacked, \(size >> 20) MiB .tar.xz, \(packages) packages")

        let ours = try Bench.best(of: repeats) {
            try ManifestReader.read(tarball: stage, displayPath: "stage4.tar.xz", sha256: "", node: "bench").packages.count
        }
        guard ours.result == packages else { throw Bench.UsageError(description: "read \(ours.result) packages, made \(packages)") }
        let out = dir + "/x"
        let theirs = try Bench.best(of: repeats) {
            try? fm.removeItem(atPath: out)
            try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
            let r = try shell.run(["tar", "-xJf", stage, "-C", out, "./var/db/pkg"])
            guard r.succeeded else { throw Bench.UsageError(description: "tar -x: \(r.stderrString)") }
        }
        Bench.printTable(["method", "seconds", "cores busy", "ratio"], [
            ["cbuild ManifestReader", Bench.format(ours.seconds, 2), Bench.format(ours.coresBusy, 1), Bench.format(ours.seconds / theirs.seconds, 2)],
            ["tar -xJf … var/db/pkg", Bench.format(theirs.seconds, 2), Bench.format(theirs.coresBusy, 1), "1.00"],
        ], leftAligned: [0])
    }
}
