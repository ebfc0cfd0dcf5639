import Dispatch
import Foundation

/// Hashes many independent files on all cores. Workers take the next file
/// from a shared counter, so one huge tarball never leaves the other cores
/// idle behind a fixed split; results come back in input order, and each
/// file's failure is kept with its path instead of ending the batch.
public enum ParallelHasher {
    /// One file's failure, naming the file.
    public struct FileFailure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var underlying: any Error
        public var description: String {
            // BasicsError.io already starts with the path.
            if case let BasicsError.io(p, _, _)? = underlying as? BasicsError, p == path { return "\(underlying)" }
            return "\(path): \(underlying)"
        }
    }

    /// The number of workers used when none is given: the cores this process may use.
    public static var defaultConcurrency: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Streams every file through `algorithm` (see `ContentHasher.digestFile`);
    /// one result per input path, in input order.
    public static func results(of paths: [String], algorithm: Digest.Algorithm = .sha256,
                               concurrency: Int = defaultConcurrency) -> [Result<Digest, FileFailure>] {
        map(paths, concurrency: concurrency) { try ContentHasher.digestFile(at: $0, algorithm) }
    }

    /// Like `results(of:)`, but throws the first failure in input order.
    public static func digests(of paths: [String], algorithm: Digest.Algorithm = .sha256,
                               concurrency: Int = defaultConcurrency) throws -> [Digest] {
        try results(of: paths, algorithm: algorithm, concurrency: concurrency).map { try $0.get() }
    }

    /// Runs `work` once per path on up to `concurrency` threads and returns
    /// the outcomes in input order. `work` must be safe to call concurrently.
    /// The digest cache uses this to stat, validate and hash in one pass.
    public static func map<T: Sendable>(_ paths: [String], concurrency: Int = defaultConcurrency,
                                        _ work: @Sendable (String) throws -> T) -> [Result<T, FileFailure>] {
        let count = paths.count
        let workers = min(count, max(1, concurrency))
        @Sendable func one(_ index: Int) -> Result<T, FileFailure> {
            do { return .success(try work(paths[index])) } catch {
                return .failure(FileFailure(path: paths[index], underlying: error))
            }
        }
        if workers <= 1 { return paths.indices.map(one) }

        let slots = Slots<Result<T, FileFailure>>(count: count)
        let next = NextIndex()
        // Each slot is written by exactly one worker; concurrentPerform
        // returns only after every worker has finished.
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.take()
                if index >= count { break }
                slots.set(index, one(index))
            }
        }
        return slots.values()
    }

    /// Result storage written concurrently at distinct indices.
    private final class Slots<Value>: @unchecked Sendable {
        private let buffer: UnsafeMutableBufferPointer<Value?>
        init(count: Int) {
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: nil)
        }
        deinit {
            _ = buffer.deinitialize()
            buffer.deallocate()
        }
        func set(_ index: Int, _ value: Value) { buffer[index] = value }
        func values() -> [Value] { buffer.map { $0! } }
    }

    /// A counter handing out indices to workers.
    private final class NextIndex: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func take() -> Int {
            lock.lock(); defer { lock.unlock() }
            let v = value; value += 1; return v
        }
    }
}
