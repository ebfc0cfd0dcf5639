import CBuildBasics
import CBuildConfig
import Foundation

/// Publishes one fixed VHD as a page blob through a SAS URL (docs/publish.md),
/// idempotently by its content key:
/// 1. Get Blob Properties: a blob of this name whose `cbuild_key` metadata
///    is the key is complete; nothing is uploaded.
/// 2. Put Blob (`PageBlob`, the VHD's length) creates the blob, or resets a
///    half-written one left by an interrupted run to zeros.
/// 3. Put Page for each 4 MiB range holding data (MD5 each, several in
///    flight); all-zero ranges are skipped (a new page blob reads as zeros).
/// 4. Set Blob Metadata `cbuild_key` = key marks the blob complete.
public struct AzurePublisher: Sendable {
    public let client: AzureBlobClient
    public let settings: AzurePublishConfig
    public let events: any EventSink
    public let log: PublishLog
    public let faults: FaultInjection
    public var isInterrupted: @Sendable () -> Bool = { false }

    public init(client: AzureBlobClient, settings: AzurePublishConfig, events: any EventSink, log: PublishLog,
                faults: FaultInjection = FaultInjection()) {
        self.client = client; self.settings = settings; self.events = events; self.log = log; self.faults = faults
    }

    public struct Result: Sendable {
        public var receipt: PublishReceipt
        public var reused: Bool
        public var rangesUploaded: Int
        public var rangesTotal: Int
    }

    public func publish(vhd path: String, key: String, blob: String, node: String) async throws -> Result {
        let url = client.sas.blobURL(blob)
        let receipt = PublishReceipt(provider: "azure", key: key, name: blob, blobURL: url)
        if let existing = try await client.properties(blob), existing.metadata[AzureBlobClient.keyMetadata] == key {
            log.line("\(url) already carries \(AzureBlobClient.keyMetadata)=\(key): nothing to upload")
            return Result(receipt: receipt, reused: true, rangesUploaded: 0, rangesTotal: 0)
        }
        let reader = try BlockReader(path: path, blockSize: AzureBlobClient.maxRange)
        guard reader.size > 0, reader.size % Int64(AzureBlobClient.pageSize) == 0 else {
            throw PublishError.image(path: path, problem: "a page blob's length must be a multiple of 512 bytes; this file has \(reader.size)")
        }
        try await client.createPageBlob(blob, length: reader.size)
        log.line("created page blob \(url), \(reader.size) bytes")
        let client = self.client
        let size = reader.size
        let upload = ParallelUpload(reader: reader, concurrency: settings.concurrency, events: events,
                                    label: (blob as NSString).lastPathComponent, faults: faults, isInterrupted: isInterrupted)
        let totals = try await upload.run { (index, data) throws(PublishError) in
            let offset = Int64(index) * Int64(AzureBlobClient.maxRange)
            let length = Int(min(Int64(data.count), size - offset))
            try await client.putPage(blob, offset: offset, data: Array(data.prefix(length)))
        }
        log.line("uploaded \(totals.blocks) of \(reader.blockCount) ranges (\(totals.bytes) bytes); \(reader.blockCount - totals.blocks) zero ranges skipped")
        events.emit(.nodeProgress(node: node, detail: "\(totals.blocks) of \(reader.blockCount) ranges uploaded, \(reader.blockCount - totals.blocks) zero ranges skipped"))
        try await client.setMetadata(blob, [AzureBlobClient.keyMetadata: key])
        return Result(receipt: receipt, reused: false, rangesUploaded: totals.blocks, rangesTotal: reader.blockCount)
    }
}
