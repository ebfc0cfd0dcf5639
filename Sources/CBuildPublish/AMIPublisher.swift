import CBuildBasics
import CBuildConfig
import Foundation

/// Publishes one raw image as an AMI (docs/publish.md), idempotently by
/// its content key:
/// 1. DescribeImages by the tag `cbuild:key` = key: found, nothing is uploaded.
/// 2. Snapshots tagged with the key but never registered (a run that was
///    killed or failed) are deleted: an upload always starts afresh.
/// 3. StartSnapshot; PutSnapshotBlock for every 512 KiB block holding data
///    (SHA-256 checksums, several in flight); CompleteSnapshot; wait until
///    DescribeSnapshots says `completed`.
/// 4. RegisterImage (UEFI, ENA, /dev/xvda on the snapshot) with the tags,
///    and CreateTags again on the image (idempotent, for services that do
///    not apply tags given to RegisterImage).
/// A failure after StartSnapshot deletes the snapshot at once when it can.
public struct AMIPublisher: Sendable {
    public let ec2: EC2Client
    public let ebs: EBSClient
    public let settings: AWSPublishConfig
    public let events: any EventSink
    public let log: PublishLog
    public let faults: FaultInjection
    public var isInterrupted: @Sendable () -> Bool = { false }
    /// Seconds between DescribeSnapshots polls while a snapshot is `pending`.
    public var pollInterval: Double = 2
    /// Give up waiting for `completed` after this many seconds.
    public var completionTimeout: Double = 3600

    public init(ec2: EC2Client, ebs: EBSClient, settings: AWSPublishConfig, events: any EventSink, log: PublishLog,
                faults: FaultInjection = FaultInjection()) {
        self.ec2 = ec2; self.ebs = ebs; self.settings = settings; self.events = events; self.log = log; self.faults = faults
    }

    /// What publishing found or made.
    public struct Result: Sendable {
        public var receipt: PublishReceipt
        /// An image with this key existed already: nothing was uploaded.
        public var reused: Bool
        public var blocksUploaded: Int
        public var blocksTotal: Int
    }

    public func publish(image path: String, key: String, name: String, node: String) async throws -> Result {
        let keyTag = AWSPublishConfig.keyTag
        let found = try await ec2.describeImages(tag: keyTag, value: key).filter { !["failed", "deregistered", "error"].contains($0.state) }
        if let image = found.first {
            log.line("\(image.id) (\(image.name)) already carries \(keyTag)=\(key): nothing to upload")
            let receipt = PublishReceipt(provider: "aws", key: key, name: image.name, region: settings.region,
                                         imageID: image.id, snapshotID: image.snapshotIDs.first)
            return Result(receipt: receipt, reused: true, blocksUploaded: 0, blocksTotal: 0)
        }
        for stale in try await ec2.describeSnapshots(tag: keyTag, value: key) {
            log.line("deleting \(stale.id) (\(stale.state)), left by an earlier upload that did not finish")
            try await ec2.deleteSnapshot(stale.id)
        }
        let reader = try BlockReader(path: path, blockSize: EBSClient.blockSize)
        let gib: Int64 = 1 << 30
        let volumeGiB = max(1, (reader.size + gib - 1) / gib)
        let tags = [(keyTag, key), ("cbuild:node", node)] + settings.tags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let snapshot = try await ebs.startSnapshot(volumeGiB: volumeGiB, description: "cbuild \(node) \(key)", tags: tags,
                                                   clientToken: UUID().uuidString)
        log.line("started \(snapshot): \(volumeGiB) GiB, \(reader.blockCount) blocks of \(EBSClient.blockSize) bytes")
        do {
            let ebs = self.ebs
            let upload = ParallelUpload(reader: reader, concurrency: settings.concurrency, events: events, label: snapshot,
                                        faults: faults, isInterrupted: isInterrupted)
            let totals = try await upload.run { (index, data) throws(PublishError) in
                try await ebs.putSnapshotBlock(snapshot, index: index, data: data, sha256: ContentHasher.digest(.sha256, data))
            }
            let rate = totals.seconds > 0 ? Double(totals.bytes) / totals.seconds / 1_048_576 : 0
            log.line("uploaded \(totals.blocks) of \(reader.blockCount) blocks (\(totals.bytes) bytes, \(String(format: "%.1f", rate)) MiB/s); \(reader.blockCount - totals.blocks) zero blocks skipped")
            events.emit(.nodeProgress(node: node, detail: "\(totals.blocks) of \(reader.blockCount) blocks uploaded, \(reader.blockCount - totals.blocks) zero blocks skipped"))
            let status = try await ebs.completeSnapshot(snapshot, changedBlocks: totals.blocks)
            log.line("CompleteSnapshot \(snapshot): \(status)")
            try await waitCompleted(snapshot)
            let registration = EC2Client.Registration(
                name: name, description: "cbuild \(node) \(key)", snapshotID: snapshot, architecture: settings.architecture,
                bootMode: settings.bootMode, ena: settings.ena, volumeType: settings.volumeType, tags: tags)
            let imageID = try await ec2.registerImage(registration)
            try await ec2.createTags([imageID], tags)
            log.line("registered \(imageID) '\(name)' from \(snapshot), tagged \(keyTag)=\(key)")
            let receipt = PublishReceipt(provider: "aws", key: key, name: name, region: settings.region,
                                         imageID: imageID, snapshotID: snapshot)
            return Result(receipt: receipt, reused: false, blocksUploaded: totals.blocks, blocksTotal: reader.blockCount)
        } catch {
            log.line("upload failed (\(error)); deleting \(snapshot)")
            do { try await ec2.deleteSnapshot(snapshot) } catch {
                log.line("could not delete \(snapshot) (\(error)); the next run deletes it")
            }
            throw error
        }
    }

    func waitCompleted(_ snapshot: String) async throws {
        let deadline = Date().addingTimeInterval(completionTimeout)
        while true {
            let state = try await ec2.describeSnapshots(ids: [snapshot]).first?.state ?? "missing"
            if state == "completed" { return }
            if state != "pending" || Date() > deadline { throw PublishError.snapshotFailed(snapshot: snapshot, state: state) }
            if isInterrupted() { throw PublishError.snapshotFailed(snapshot: snapshot, state: "interrupted while pending") }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }
}
