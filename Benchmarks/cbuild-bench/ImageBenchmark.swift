import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildImages
import Foundation

/// `cbuild-bench images [DIR]`: assembly time and disk use of a raw +
/// qcow2 image from a ~1 GB stage4 (the host's /usr/share, /usr/bin,
/// /usr/include, its kernel and systemd-boot; gzip -1 compressed, as
/// catalyst always compresses its stages), cbuild's
/// rules against a plain shell pipeline doing the same steps (tar -x,
/// mkfs.vfat + mcopy, mkfs.ext4 -d, sfdisk, dd, qemu-img convert). Best of
/// two runs each; goal: cbuild within 1.2x of the shell.
enum ImageBenchmark {
    static let diskSize: Int64 = 4 << 30
    static let espSize: Int64 = 256 << 20

    static func main(_ arguments: [String]) async {
        do { try await run(arguments) } catch {
            print("images: failed: \(error)")
            exit(1)
        }
    }

    static func run(_ arguments: [String]) async throws {
        let base = (arguments.first ?? (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")) + "/cbuild-bench-images-\(getpid())"
        let fm = FileManager.default
        try fm.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: base) }
        guard let kernel = ((try? fm.contentsOfDirectory(atPath: "/boot")) ?? []).filter({ $0.hasPrefix("vmlinuz-") }).sorted().last,
              fm.fileExists(atPath: BootFiles.systemdBootPath) else {
            print("images: skipped (needs linux-image-amd64 and systemd-boot-efi on the host)")
            return
        }
        let stage = base + "/stage4.tar.gz"
        try shell("tar -c --warning=none -C / usr/share usr/bin usr/include boot/\(kernel) usr/lib/systemd/boot/efi | gzip -1 > \(stage)")
        let stageSize = (try fm.attributesOfItem(atPath: stage)[.size] as? Int64) ?? 0
        print("images: stage4 \(stageSize >> 20) MiB (tar.gz), disk \(diskSize >> 30) GiB, qcow2")

        var shellTimes: [Double] = [], cbuildTimes: [Double] = []
        var shellCPU: [Double] = [], cbuildCPU: [Double] = []
        var shellUse: Int64 = 0, cbuildUse: Int64 = 0
        var breakdown: [String] = []
        for round in 0..<2 {
            let s = base + "/shell-\(round)"
            try fm.createDirectory(atPath: s, withIntermediateDirectories: true)
            var cpu = cpuSeconds()
            shellTimes.append(try timed { try shell(baseline(stage: stage, kernel: kernel, dir: s)) })
            shellCPU.append(cpuSeconds() - cpu)
            shellUse = allocated(s + "/disk.raw")
            try fm.removeItem(atPath: s)

            let c = base + "/cbuild-\(round)"
            try fm.createDirectory(atPath: c, withIntermediateDirectories: true)
            var raw = ""
            cpu = cpuSeconds()
            cbuildTimes.append(try await timedAsync { raw = try await cbuild(stage: stage, root: c) })
            cbuildCPU.append(cpuSeconds() - cpu)
            cbuildUse = allocated(c + "/" + raw)
            breakdown = ((try? String(contentsOfFile: c + "/logs/image_bench.raw.log", encoding: .utf8)) ?? "")
                .split(separator: "\n").filter { $0.hasPrefix("# ") && $0.contains(" s") }.map(String.init)
            try fm.removeItem(atPath: c)
        }
        let s = shellTimes.min()!, c = cbuildTimes.min()!
        print(String(format: "images: wall clock: shell pipeline %.1f s, cbuild %.1f s, ratio %.2fx (goal <= 1.20x)", s, c, c / s))
        let sc = shellCPU.min()!, cc = cbuildCPU.min()!
        print(String(format: "images: CPU (user+sys, all processes; steadier on a shared machine): shell %.1f s, cbuild %.1f s, ratio %.2fx", sc, cc, cc / sc))
        print("images: cbuild's last raw assembly, step by step:\n  " + breakdown.joined(separator: "\n  "))
        print("images: raw image on disk: shell \(shellUse >> 20) MiB, cbuild \(cbuildUse >> 20) MiB of \(diskSize >> 20) MiB")
    }

    /// The same steps by hand, as a release engineer would script them (as root, no reproducibility).
    static func baseline(stage: String, kernel: String, dir: String) -> String {
        let rootOffset = (1 << 20) + espSize, rootSize = diskSize - rootOffset - (1 << 20)
        return """
            set -e
            cd \(dir)
            mkdir tree && tar -xzf \(stage) -C tree
            truncate -s \(espSize) esp.img && mkfs.vfat -F 32 esp.img >/dev/null
            export MTOOLS_SKIP_CHECK=1
            mmd -i esp.img ::/EFI ::/EFI/BOOT
            mcopy -i esp.img tree/usr/lib/systemd/boot/efi/systemd-bootx64.efi ::/EFI/BOOT/BOOTX64.EFI
            mcopy -i esp.img tree/boot/\(kernel) ::/vmlinuz
            truncate -s \(rootSize) root.img && mkfs.ext4 -q -F -d tree root.img
            truncate -s \(diskSize) disk.raw
            printf 'label: gpt\\nfirst-lba: 2048\\nstart=2048, size=\(espSize / 512), type=U\\nstart=\(rootOffset / 512), size=\(rootSize / 512), type=L\\n' | sfdisk -q disk.raw
            dd if=esp.img of=disk.raw bs=64K seek=\(Int64(1 << 20) / 65536) conv=notrunc,sparse status=none
            dd if=root.img of=disk.raw bs=64K seek=\(rootOffset / 65536) conv=notrunc,sparse status=none
            qemu-img convert -f raw -O qcow2 disk.raw disk.qcow2
            """
    }

    /// cbuild's rules, run as the engine runs them; returns the raw image's relative path.
    static func cbuild(stage: String, root: String) async throws -> String {
        let settings = ImageConfig(size: diskSize, espSize: espSize)
        let stageNode = NodeID("stage4/bench")
        try FileManager.default.createDirectory(atPath: root + "/artifacts/builds", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/artifacts/builds/stage4.tar.gz", withDestinationPath: stage)
        let stageResult = DependencyResult(node: stageNode, outputDigest: "sha256:bench", display: nil,
                                           outputs: [NodeOutput(path: "artifacts/builds/stage4.tar.gz", sha256: "sha256:bench", size: 0)],
                                           key: nil)
        let registry = ProcessGroupRegistry()
        func context(_ node: NodeID) throws -> RunContext {
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
            return RunContext(rule: RuleContext(root: root, node: node, digests: DirectFileDigester(), keySalt: [],
                                                events: NullEventSink()),
                              logPath: root + "/logs/" + node.name.replacingOccurrences(of: "/", with: "_") + ".log",
                              runId: "bench", processes: registry, inheritedLockDescriptor: nil)
        }
        let rawNode = NodeID("image/bench.raw")
        let rawRule = RawImageRule(stageNode: stageNode, targetName: "bench", settings: settings)
        let rawKey = NodeKey(kind: "image", recipe: rawRule.recipe, salt: [], inputs: [NodeInput(name: "stage4", digest: "sha256:bench", display: nil)])
        let raw = try await rawRule.run(try context(rawNode), dependencies: [stageNode: stageResult], key: rawKey)[0]
        let rawResult = DependencyResult(node: rawNode, outputDigest: "sha256:raw", display: nil,
                                         outputs: [NodeOutput(path: raw, sha256: "sha256:raw", size: 0)], key: nil)
        let qcowRule = ConvertedImageRule(rawNode: rawNode, targetName: "bench", format: .qcow2, compress: false)
        let qcowKey = NodeKey(kind: "image", recipe: qcowRule.recipe, salt: [], inputs: [NodeInput(name: "raw", digest: "sha256:raw", display: nil)])
        _ = try await qcowRule.run(try context(NodeID("image/bench.qcow2")), dependencies: [rawNode: rawResult], key: qcowKey)
        return raw
    }

    static func shell(_ script: String) throws {
        let r = try SystemProcessRunner().run(["sh", "-c", script])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "sh", reason: r.stderrString) }
    }

    static func timed(_ body: () throws -> Void) throws -> Double {
        let start = Date(); try body(); return Date().timeIntervalSince(start)
    }

    static func timedAsync(_ body: () async throws -> Void) async throws -> Double {
        let start = Date(); try await body(); return Date().timeIntervalSince(start)
    }

    /// User + system time of this process and every child it has waited for.
    static func cpuSeconds() -> Double {
        var total = 0.0
        for who in [RUSAGE_SELF, RUSAGE_CHILDREN] {
            var u = rusage()
            getrusage(__rusage_who_t(who.rawValue), &u)
            total += Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
        }
        return total
    }

    static func allocated(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_blocks) * 512 : -1
    }
}
