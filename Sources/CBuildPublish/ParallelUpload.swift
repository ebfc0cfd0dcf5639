import CBuildBasics
import CBuildGraph
import Foundation

/// Reads an image's data blocks in order and sends up to `concurrency` of
/// them at once (`send`), reporting progress as upload events (a bar with
/// the rate on a terminal). Zero blocks and holes are never sent.
struct ParallelUpload: Sendable {
    let reader: BlockReader
    let concurrency: Int
    let events: any EventSink
    /// The name the progress bar shows (`snap-…`, the blob name).
    let label: String
    let faults: FaultInjection
    let isInterrupted: @Sendable () -> Bool

    /// What was sent.
    struct Totals: Sendable { var blocks: Int; var bytes: Int64; var seconds: Double }

    func run(_ send: @escaping @Sendable (Int, [UInt8]) async throws(PublishError) -> Void) async throws -> Totals {
        let start = Date()
        let url = "publish://" + label
        events.emit(.uploadStarted(url: url, source: reader.path, totalBytes: reader.size))
        var sent = 0
        var bytes: Int64 = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            var inFlight = 0
            while let (index, data) = try reader.nextDataBlock() {
                if isInterrupted() { throw RuleFailure("publishing interrupted", interrupted: true) }
                if inFlight >= concurrency {
                    bytes += Int64(try await group.next() ?? 0); sent += 1; inFlight -= 1
                    events.emit(.uploadProgress(url: url, bytes: reader.position, totalBytes: reader.size))
                    try faults.check(sent)
                }
                group.addTask { try await send(index, data); return data.count }
                inFlight += 1
            }
            while let n = try await group.next() {
                bytes += Int64(n); sent += 1
                events.emit(.uploadProgress(url: url, bytes: reader.position, totalBytes: reader.size))
                try faults.check(sent)
            }
        }
        events.emit(.uploadFinished(url: url, bytes: reader.size))
        return Totals(blocks: sent, bytes: bytes, seconds: Date().timeIntervalSince(start))
    }
}
