import CBuildBasics
import CBuildConfig
import CBuildPublish
import Foundation

/// `cbuild-bench publish [--size-gb N] [--data-mb N] [--concurrency N]`:
/// publishing a sparse raw image (default 8 GiB holding 1 GiB of data) as
/// an AMI to moto's server on 127.0.0.1 — cbuild's AMIPublisher (zero
/// blocks skipped, blocks in flight, SigV4) against boto3 doing the same
/// calls (StartSnapshot, PutSnapshotBlock of the same non-zero blocks with
/// the same concurrency, CompleteSnapshot, RegisterImage). Moto comes from
/// `scripts/moto-venv` (.cache/moto-venv).
struct PublishBenchmark {
    let sizeGB: Int, dataMB: Int, concurrency: Int

    init(arguments: [String]) throws {
        let o = try Bench.integerOptions(arguments, defaults: ["size-gb": 8, "data-mb": 1024, "concurrency": 8])
        sizeGB = o["size-gb"]!; dataMB = o["data-mb"]!; concurrency = o["concurrency"]!
    }

    func run() async throws {
        let root = FileManager.default.currentDirectoryPath
        let venv = root + "/.cache/moto-venv"
        let setup = try SystemProcessRunner().run([root + "/scripts/moto-venv"])
        guard setup.succeeded else { throw Bench.UsageError(description: "scripts/moto-venv failed: \(setup.stderrString)") }
        let dir = try Bench.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = dir + "/sparse.raw"
        let (blocks, dataBlocks) = try writeSparseImage(image)
        print("image: \(sizeGB) GiB, \(dataBlocks) of \(blocks) blocks of 512 KiB hold data (\(dataMB) MiB); concurrency \(concurrency)")

        let port = try freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: venv + "/bin/moto_server")
        server.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        server.standardOutput = FileHandle.nullDevice; server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }   // moto_server lingers on SIGTERM
        let endpoint = "http://127.0.0.1:\(port)"
        for _ in 0..<200 { if (try? Data(contentsOf: URL(string: endpoint + "/moto-api/")!)) != nil { break }; usleep(50_000) }

        // cbuild
        let creds = AWSCredentials(accessKeyID: "testing", secretAccessKey: "testing")
        let http = URLSessionHTTPClient(maxConnections: concurrency * 2)
        let settings = AWSPublishConfig(region: "us-east-1", endpoint: endpoint, concurrency: concurrency)
        var publisher = AMIPublisher(ec2: EC2Client(region: "us-east-1", endpoint: endpoint, credentials: creds, http: http),
                                     ebs: EBSClient(region: "us-east-1", endpoint: endpoint, credentials: creds, http: http),
                                     settings: settings, events: NullEventSink(), log: PublishLog(path: nil))
        publisher.pollInterval = 0.1
        print("moto on \(endpoint); publishing with cbuild …")
        let t0 = Bench.now()
        let result = try await publisher.publish(image: image, key: "bench-cbuild", name: "bench-cbuild", node: "bench")
        let cbuildSeconds = Bench.now() - t0

        // boto3 on the same image, same calls, same concurrency.
        let script = """
            import base64, hashlib, sys, time, boto3
            from concurrent.futures import ThreadPoolExecutor
            path, endpoint, conc = sys.argv[1], sys.argv[2], int(sys.argv[3])
            kw = dict(region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
            ebs, ec2 = boto3.client("ebs", **kw), boto3.client("ec2", **kw)
            B = 512 * 1024; zero = bytes(B)
            t0 = time.monotonic()
            import os
            size = os.path.getsize(path)
            snap = ebs.start_snapshot(VolumeSize=(size + (1 << 30) - 1) >> 30)["SnapshotId"]
            def put(item):
                i, data = item
                ebs.put_snapshot_block(SnapshotId=snap, BlockIndex=i, BlockData=data, DataLength=len(data),
                                       Checksum=base64.b64encode(hashlib.sha256(data).digest()).decode(), ChecksumAlgorithm="SHA256")
            def blocks():
                with open(path, "rb") as f:
                    i = 0
                    while True:
                        data = f.read(B)
                        if not data: return
                        if data != zero[:len(data)]: yield (i, data)
                        i += 1
            n = 0
            with ThreadPoolExecutor(conc) as pool:
                for _ in pool.map(put, blocks()): n += 1
            ebs.complete_snapshot(SnapshotId=snap, ChangedBlocksCount=n)
            ec2.register_image(Name="bench-boto3", RootDeviceName="/dev/xvda", Architecture="x86_64", BootMode="uefi",
                               EnaSupport=True, VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}])
            print(n, time.monotonic() - t0)
            """
        print("… and with boto3")
        let boto = try SystemProcessRunner().run([venv + "/bin/python", "-c", script, image, endpoint, String(concurrency)])
        guard boto.succeeded else { throw Bench.UsageError(description: "boto3 baseline failed: \(boto.stderrString)") }
        let parts = boto.stdoutString.split(whereSeparator: \.isWhitespace)
        let botoBlocks = Int(parts.first ?? "") ?? -1, botoSeconds = Double(parts.last ?? "") ?? .nan

        print("")
        print("contender                                 blocks sent    seconds    MiB/s of data")
        print("-------------------------------------------------------------------------------")
        func line(_ name: String, _ n: Int, _ s: Double) {
            print(name.padding(toLength: 42, withPad: " ", startingAt: 0)
                  + String(format: "%11d %10.2f %12.1f", n, s, Double(dataMB) / s))
        }
        line("cbuild AMIPublisher (EBS direct APIs)", result.blocksUploaded, cbuildSeconds)
        line("boto3, same calls and concurrency", botoBlocks, botoSeconds)
        print("")
        print(String(format: "ratio cbuild / boto3: %.2f×; blocks skipped as zero: %d of %d (%.1f%%)", cbuildSeconds / botoSeconds,
                     result.blocksTotal - result.blocksUploaded, result.blocksTotal,
                     100 * Double(result.blocksTotal - result.blocksUploaded) / Double(max(1, result.blocksTotal))))
        if result.blocksUploaded != dataBlocks || botoBlocks != dataBlocks {
            print("warning: blocks sent differ from the data blocks written (\(dataBlocks))")
        }
    }

    /// An image of `sizeGB` GiB with `dataMB` MiB of pseudo-random data in
    /// evenly spaced 512 KiB blocks; the rest are holes.
    func writeSparseImage(_ path: String) throws -> (blocks: Int, dataBlocks: Int) {
        let block = 512 * 1024
        let blocks = sizeGB * 2048, dataBlocks = min(blocks, dataMB * 2)
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        guard fd >= 0, ftruncate(fd, off_t(blocks) * off_t(block)) == 0 else { throw Bench.UsageError(description: "cannot create \(path)") }
        defer { close(fd) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var buffer = [UInt8](repeating: 0, count: block)
        let stride = max(1, blocks / max(1, dataBlocks))
        for i in 0..<dataBlocks {
            buffer.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for w in 0..<words.count {
                    state &+= 0x9E37_79B9_7F4A_7C15
                    var z = state
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    words[w] = z ^ (z >> 31)
                }
            }
            let written = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, block, off_t(i * stride) * off_t(block)) }
            guard written == block else { throw Bench.UsageError(description: "cannot write \(path)") }
        }
        return (blocks, dataBlocks)
    }

    /// Lines appear as they are written, also through a pipe.
    func print(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET); addr.sin_addr.s_addr = inet_addr("127.0.0.1"); addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Bench.UsageError(description: "no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
