import CBuildBasics
import CBuildPublish
import CBuildTestSupport
import Foundation
import Testing

/// `ami/aws/web` end to end: the example directory's stage4 built with the
/// simulator, its 8 GiB sparse raw image published to moto's EC2 + EBS
/// emulator, and everything checked through moto's recording and boto3.
@Suite(.serialized) struct AMIPublishTests {
    /// moto, and the example directory pointed at it.
    struct Site {
        /// Replaced by a fresh server on the same port when a test stops it.
        var moto: MotoServer
        let ex: ExampleBuildDirectory

        init(authenticate: Bool = false, endpoint: String? = nil) throws {
            moto = try MotoServer(authenticate: authenticate)
            ex = try ExampleBuildDirectory()
            let url = endpoint ?? moto.endpoint
            try ex.edit("targets/aws/web.toml") {
                $0.replacingOccurrences(of: "region = \"eu-west-1\"", with: "region = \"eu-west-1\"\nendpoint = \"\(url)\"")
            }
        }

        func publish(_ extra: [String] = [], environment: [String: String]? = nil) throws -> CLIResult {
            try ex.cbuild(publishArguments(extra), environment: try publishEnvironment(environment))
        }

        func publishArguments(_ extra: [String] = []) -> [String] {
            ["publish", "--catalyst", BuiltProducts.path("catalyst-sim")] + extra + ["ami/aws/web"]
        }

        func publishEnvironment(_ environment: [String: String]? = nil) throws -> [String: String] {
            var env = environment ?? moto.credentials
            env["CATALYST_SIM_KERNEL_IMAGE"] = try HostKernel.path()
            return env
        }

        /// `cbuild publish ami/aws/web` started in the background, its
        /// stdout and stderr going to files in the directory.
        func publishInBackground(environment: [String: String]) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: BuiltProducts.path("cbuild"))
            p.arguments = ["-C", ex.path] + publishArguments()
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "dumb"
            env["CATALYST_SIM_RUNS_FILE"] = ex.runsFile
            for (k, v) in try publishEnvironment(environment) { env[k] = v }
            p.environment = env
            FileManager.default.createFile(atPath: ex.path + "/publish.stdout", contents: nil)
            FileManager.default.createFile(atPath: ex.path + "/publish.stderr", contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: ex.path + "/publish.stdout")
            p.standardError = FileHandle(forWritingAtPath: ex.path + "/publish.stderr")
            try p.run()
            return p
        }

        /// The receipt the node's current build points at.
        func receipt() throws -> PublishReceipt? {
            let dir = ex.path + "/artifacts/publish/ami/aws"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            let s = try ex.cbuild(["status", "--json", "ami/aws/web"])
            guard let rows = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [[String: Any]],
                  let output = rows.first(where: { $0["node"] as? String == "ami/aws/web" })?["output"] as? String else { return nil }
            #expect(files.contains((output as NSString).lastPathComponent))
            return PublishReceipt.read(root: ex.path, path: output)
        }

        var rawImage: String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: ex.path + "/artifacts/out/image/aws/web.raw"))
                .map { $0.hasPrefix("/") ? $0 : ex.path + "/artifacts/out/image/aws/" + $0 } ?? ""
        }

        /// What boto3 reads back from moto: the snapshot's blocks compared
        /// with the raw image block by block, and the images carrying `key`.
        struct ReadBack {
            /// Blocks the snapshot lists, blocks that differ from the image's, data blocks of the image it lacks.
            var blocks: Int, mismatches: Int, missing: Int
            /// Blocks of the image holding a non-zero byte, and all its blocks.
            var nonzero: Int, total: Int
            /// Images with the tag cbuild:key = key, and the first one's tags.
            var images: [String], tags: [String: String]
        }

        func readBack(snapshot: String, key: String) throws -> ReadBack {
            let out = try moto.python("""
                image = open("\(rawImage)", "rb")
                snap = "\(snapshot)"
                blocks, token = {}, None
                while True:
                    page = ebs.list_snapshot_blocks(SnapshotId=snap, **({"NextToken": token} if token else {}))
                    blocks.update({b["BlockIndex"]: b["BlockToken"] for b in page["Blocks"]})
                    token = page.get("NextToken")
                    if not token: break
                mismatches = 0
                for index, token in blocks.items():
                    got = ebs.get_snapshot_block(SnapshotId=snap, BlockIndex=index, BlockToken=token)["BlockData"].read()
                    image.seek(index * 524288)
                    if got != image.read(524288): mismatches += 1
                image.seek(0)
                zero = bytes(524288)
                nonzero, total, missing = 0, 0, 0
                while True:
                    chunk = image.read(524288)
                    if not chunk: break
                    if chunk.ljust(524288, b"\\0") != zero:
                        nonzero += 1
                        if total not in blocks: missing += 1
                    total += 1
                imgs = ec2.describe_images(Owners=["self"], Filters=[{"Name": "tag:cbuild:key", "Values": ["\(key)"]}])["Images"]
                json.dump({"blocks": len(blocks), "nonzero": nonzero, "total": total, "mismatches": mismatches, "missing": missing,
                           "images": [i["ImageId"] for i in imgs],
                           "tags": {t["Key"]: t["Value"] for t in (imgs[0].get("Tags", []) if imgs else [])}}, sys.stdout)
                """)
            let o = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
            return ReadBack(blocks: o["blocks"] as? Int ?? -1, mismatches: o["mismatches"] as? Int ?? -1,
                            missing: o["missing"] as? Int ?? -1, nonzero: o["nonzero"] as? Int ?? -1,
                            total: o["total"] as? Int ?? -1, images: o["images"] as? [String] ?? [],
                            tags: o["tags"] as? [String: String] ?? [:])
        }

        func remove() { moto.server.stop(); ex.remove() }
    }

    /// Every credential-bearing string that must never be stored or printed.
    static let secrets = [MotoServer.secretKey]

    static func expectNoSecrets(in dir: String, outputs: [CLIResult], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        for r in outputs {
            for s in secrets { #expect(!r.stdout.contains(s) && !r.stderr.contains(s), "printed a secret", sourceLocation: sourceLocation) }
        }
        let e = FileManager.default.enumerator(atPath: dir)
        while let rel = e?.nextObject() as? String {
            if rel.hasPrefix("artifacts/builds") || rel.hasSuffix(".raw") || rel.hasSuffix(".tar.xz") || rel.hasSuffix(".sqfs") { continue }
            guard let data = FileManager.default.contents(atPath: dir + "/" + rel) else { continue }
            for s in secrets {
                #expect(data.range(of: Data(s.utf8)) == nil, "\(rel) holds a secret", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func publishesTheRawImageAsAnAMIThatASecondRunFindsAgain() throws {
        let site = try Site(); defer { site.remove() }
        let first = try site.publish()
        #expect(first.status == 0, "\(first)")
        let receipt = try #require(try site.receipt())
        let imageID = try #require(receipt.imageID)
        let snapshotID = try #require(receipt.snapshotID)
        #expect(receipt.region == MotoServer.region)
        #expect(receipt.name.hasPrefix("aws/web-") && receipt.name.hasSuffix(String(receipt.key.dropFirst(7).prefix(12))))

        // What was sent: blocks of 512 KiB with their checksums, all signed with the test key.
        let requests = site.moto.recorded()
        let puts = requests.filter(\.isPutBlock)
        let putCount = site.moto.putBlockCount()
        #expect(putCount > 0)
        #expect(!puts.isEmpty)
        for p in puts {
            #expect(p.body.count == 512 * 1024)
            #expect(p.headers["x-amz-checksum"] == Data(ContentHasher.digest(.sha256, p.body).bytes).base64EncodedString())
            #expect(p.headers["x-amz-checksum-algorithm"] == "SHA256")
            #expect(p.headers["x-amz-data-length"] == "524288")
            #expect(p.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=\(MotoServer.accessKey)/") == true)
            #expect(!p.body.allSatisfy { $0 == 0 }, "an all-zero block was uploaded")
        }
        let register = try #require(requests.first { $0.action == "RegisterImage" }?.form)
        #expect(register["BootMode"] == "uefi")
        #expect(register["EnaSupport"] == "true")
        #expect(register["Architecture"] == "x86_64")
        #expect(register["RootDeviceName"] == "/dev/xvda")
        #expect(register["BlockDeviceMapping.1.DeviceName"] == "/dev/xvda")
        #expect(register["BlockDeviceMapping.1.Ebs.SnapshotId"] == snapshotID)
        #expect(register["VirtualizationType"] == "hvm")
        let complete = try #require(requests.first { $0.url.contains("/snapshots/completion/") })
        #expect(complete.headers["x-amz-changedblockscount"] == String(putCount))

        // Read back with boto3: every block equals the image, every data block is there, the AMI carries the key.
        let back = try site.readBack(snapshot: snapshotID, key: receipt.key)
        #expect(back.mismatches == 0)
        #expect(back.missing == 0)
        #expect(back.blocks == putCount)
        #expect(back.nonzero == putCount, "exactly the blocks holding data were uploaded, once each")
        #expect(back.total == 16384, "an 8 GiB image is 16384 blocks")
        #expect(back.blocks < 16384 / 4, "most of a sparse image is skipped")
        #expect(back.images == [imageID])
        #expect(back.tags["cbuild:key"] == receipt.key)
        #expect(back.tags["role"] == "web")

        // Clean by the state: nothing is asked of AWS at all.
        site.moto.resetRecording()
        let second = try site.publish()
        #expect(second.status == 0, "\(second)")
        #expect(site.moto.accessLog().isEmpty)

        // The node's record and receipt lost: the image is found by its key tag, nothing is uploaded.
        let clean = try site.ex.cbuild(["clean", "ami/aws/web"])
        #expect(clean.status == 0, "\(clean)")
        #expect(!FileManager.default.fileExists(atPath: site.ex.path + "/" + PublishReceipt.path(node: "ami/aws/web", keyShort: String(receipt.key.dropFirst(7).prefix(12)))))
        let third = try site.publish(["--json"])
        #expect(third.status == 0, "\(third)")
        let again = site.moto.recorded()
        #expect(site.moto.putBlockCount() == 0)
        #expect(again.filter { $0.action == "RegisterImage" }.isEmpty)
        #expect(again.filter { $0.action == "DescribeImages" }.count == 1)
        #expect(try site.receipt()?.imageID == imageID)

        let status = try site.ex.cbuild(["status", "ami/aws/web"])
        #expect(status.stdout.contains(imageID), "\(status)")
        let history = try site.ex.cbuild(["history", "--json", "ami/aws/web"])
        #expect(history.stdout.contains(imageID), "\(history)")
        try Self.expectNoSecrets(in: site.ex.path, outputs: [first, second, third, status, history])
    }

    @Test func aChangedImageGetsANewAMIAndARollbackReusesTheEarlierOne() throws {
        let site = try Site(); defer { site.remove() }
        #expect(try site.publish().status == 0)
        let before = try #require(try site.receipt()?.imageID)
        let original = try site.ex.dir.read("targets/aws/web.toml")
        try site.ex.edit("targets/aws/web.toml") {
            $0.replacingOccurrences(of: "packages = [\"www-servers/nginx\"]", with: "packages = [\"www-servers/nginx\", \"app-misc/screen\"]")
        }
        site.moto.resetRecording()
        let changed = try site.publish()
        #expect(changed.status == 0, "\(changed)")
        let after = try #require(try site.receipt()?.imageID)
        #expect(after != before)
        #expect(site.moto.putBlockCount() > 0)

        _ = try site.ex.dir.write("targets/aws/web.toml", original)
        site.moto.resetRecording()
        let rollback = try site.publish()
        #expect(rollback.status == 0, "\(rollback)")
        #expect(try site.receipt()?.imageID == before)
        #expect(site.moto.accessLog().isEmpty, "the earlier AMI is reused without a request")
    }

    @Test func wrongOrMissingCredentialsAndADownEndpointFailClearly() throws {
        let site = try Site(authenticate: true); defer { site.remove() }
        let refused = try site.publish()
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("refused the credentials"), "\(refused)")
        #expect(try site.receipt() == nil)
        #expect(!FileManager.default.fileExists(atPath: site.ex.path + "/artifacts/publish"))

        let home = try TemporaryDirectory(prefix: "cbuild-home"); defer { home.remove() }
        let none = try site.publish(environment: ["AWS_ACCESS_KEY_ID": "", "AWS_PROFILE": "", "HOME": home.path,
                                                  "AWS_SHARED_CREDENTIALS_FILE": home.path + "/.aws/credentials"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no AWS credentials"), "\(none)")

        _ = try home.write(".aws/credentials", "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n")
        let profile = try site.publish(environment: ["AWS_ACCESS_KEY_ID": "", "AWS_PROFILE": "ci", "HOME": home.path,
                                                     "AWS_SHARED_CREDENTIALS_FILE": home.path + "/.aws/credentials"])
        #expect(profile.status == 1)
        #expect(profile.stderr.contains("profile 'ci'"), "\(profile)")

        let port = try LoopbackPort.free()
        try site.ex.edit("targets/aws/web.toml") { $0.replacingOccurrences(of: site.moto.endpoint, with: "http://127.0.0.1:\(port)") }
        let down = try site.publish()
        #expect(down.status == 1)
        #expect(down.stderr.contains("cannot reach http://127.0.0.1:\(port)"), "\(down)")
        try Self.expectNoSecrets(in: site.ex.path, outputs: [refused, none, profile, down])
    }

    @Test func aFailedUploadDeletesItsSnapshotAndAKilledOneIsCleanedUpByTheNextRun() throws {
        let site = try Site(); defer { site.remove() }
        let failed = try site.publish(environment: site.moto.credentials.merging(["CBUILD_TEST_PUBLISH_FAIL_AFTER": "2"]) { $1 })
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stderr.contains("upload stopped after 2"), "\(failed)")
        func tagged() throws -> (images: Int, snapshots: [String]) {
            let out = try site.moto.python("""
                i = ec2.describe_images(Owners=["self"])["Images"]
                s = ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag-key", "Values": ["cbuild:key"]}])["Snapshots"]
                json.dump({"images": len(i), "snapshots": [x["SnapshotId"] for x in s]}, sys.stdout)
                """)
            let o = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
            return (o["images"] as? Int ?? -1, o["snapshots"] as? [String] ?? [])
        }
        var t = try tagged()
        #expect(t.images == 0, "a failed upload registers no image")
        #expect(t.snapshots.isEmpty, "the failed upload deleted its snapshot")

        let killed = try site.publish(environment: site.moto.credentials.merging(["CBUILD_TEST_PUBLISH_KILL_AFTER": "2"]) { $1 })
        #expect(killed.status == 128 + 9, "\(killed)")
        t = try tagged()
        #expect(t.images == 0)
        let left = try #require(t.snapshots.first, "a killed upload leaves its half-made snapshot")
        #expect(t.snapshots.count == 1)

        site.moto.resetRecording()
        let next = try site.publish()
        #expect(next.status == 0, "\(next)")
        #expect(site.moto.recorded().contains { $0.action == "DeleteSnapshot" && $0.form["SnapshotId"] == left })
        t = try tagged()
        #expect(t.images == 1)
        #expect(t.snapshots.count == 1 && t.snapshots.first != left)
    }

    /// The issue's "server stopped mid-upload → exit 1, the next run
    /// succeeds" with the server really stopped: moto is killed (SIGKILL by
    /// its PID) while PutSnapshotBlock requests arrive — no injected
    /// failure. cbuild exits 1 naming the endpoint and records nothing as
    /// published. A fresh moto on the same port knows nothing of the
    /// half-made snapshot (moto keeps everything in memory); the next run
    /// publishes the whole image there.
    @Test func motoKilledMidUploadFailsTheRunAndAFreshServerOnTheSamePortGetsTheWholeImage() throws {
        var site = try Site(); defer { site.remove() }
        // 64 MiB of incompressible bytes in the stage4: about 190 data blocks
        // to send, so the upload is still going when moto is stopped.
        let payload = ["CATALYST_SIM_PAYLOAD_MB": "64"]
        let env = site.moto.credentials.merging(payload) { $1 }
        let image = try site.ex.cbuild(ExampleBuildDirectory.withSim(["image/aws/web.raw"]), environment: try site.publishEnvironment(env))
        try #require(image.status == 0, "\(image)")
        let builds = site.ex.simRuns().count
        let port = site.moto.server.port

        let publishing = try site.publishInBackground(environment: env)
        func output() -> String {
            ((try? site.ex.dir.read("publish.stdout")) ?? "") + "--- stderr\n" + ((try? site.ex.dir.read("publish.stderr")) ?? "")
        }
        // Wait until moto has answered some PutSnapshotBlock requests (its
        // access log says so), or cbuild ended without getting there.
        let minimum = 8
        let giveUp = Date().addingTimeInterval(600)   // only against a hang; the upload starts in seconds
        while publishing.isRunning && site.moto.putBlockCount() < minimum && Date() < giveUp { usleep(20_000) }
        if publishing.isRunning && site.moto.putBlockCount() < minimum { kill(publishing.processIdentifier, SIGKILL) }
        try #require(site.moto.putBlockCount() >= minimum, "the upload never started: \(output())")

        // Freeze moto so its log stops growing, check the snapshot was not
        // completed yet (the kill is mid-upload), then kill it.
        kill(site.moto.server.pid, SIGSTOP)
        let seen = site.moto.accessLog()
        let received = site.moto.putBlockCount()
        #expect(!seen.contains { $0.contains("/snapshots/completion/") },
                "the upload finished before moto was stopped: give the stage4 a larger payload")
        let halfMade = seen.compactMap { line -> String? in
            guard let r = line.range(of: "PUT /snapshots/snap-[0-9a-f]+/", options: .regularExpression) else { return nil }
            return String(line[r].dropFirst("PUT /snapshots/".count).dropLast())
        }.first
        site.moto.server.stop()
        publishing.waitUntilExit()
        let failed = output()
        #expect(publishing.terminationReason == .exit && publishing.terminationStatus == 1, "\(failed)")
        #expect(failed.contains("FAILED ami/aws/web") && failed.contains("cannot reach http://127.0.0.1:\(port): "), "\(failed)")
        #expect(!failed.contains("network error"), "the cause in words, not a URLError number: \(failed)")
        // Nothing recorded as published: no receipt, no current output, the attempt failed.
        #expect(try site.receipt() == nil)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: site.ex.path + "/artifacts/publish/ami/aws")) ?? []).isEmpty)
        let history = try site.ex.cbuild(["history", "--json", "ami/aws/web"])
        let attempts = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]], "\(history)")
        #expect(attempts.first?["state"] as? String == "failed", "\(history)")
        #expect(attempts.allSatisfy { $0["published"] == nil }, "\(history)")

        // A fresh moto where the old one listened: the directory's endpoint is unchanged.
        site.moto = try MotoServer(port: port)
        let next = try site.publish(environment: env)
        #expect(next.status == 0, "\(next)")
        #expect(site.ex.simRuns().count == builds, "nothing but the publish node ran again")
        let receipt = try #require(try site.receipt(), "\(next)")
        let imageID = try #require(receipt.imageID)
        let snapshotID = try #require(receipt.snapshotID)
        let halfMadeID = try #require(halfMade, "no snapshot id in moto's log: \(seen.prefix(5))")
        #expect(snapshotID != halfMadeID)
        let requests = site.moto.recorded()
        #expect(requests.contains { $0.action == "DescribeSnapshots" }, "the next run looked for a half-made snapshot")
        #expect(!requests.contains { $0.action == "DeleteSnapshot" }, "the fresh server holds none to delete")
        let back = try site.readBack(snapshot: snapshotID, key: receipt.key)
        #expect(back.mismatches == 0)
        #expect(back.missing == 0)
        #expect(back.blocks == back.nonzero && back.nonzero == site.moto.putBlockCount(), "every data block was sent to the fresh server, once")
        #expect(back.nonzero > received, "more blocks than the killed server had received")
        #expect(back.images == [imageID])
        try Self.expectNoSecrets(in: site.ex.path, outputs: [next, history])
    }
}
