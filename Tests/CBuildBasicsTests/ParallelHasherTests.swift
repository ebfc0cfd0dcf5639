import Testing
import Foundation
@testable import CBuildBasics
import CBuildTestSupport

/// Parallel hashing keeps input order and keeps each failure with its file.
@Suite struct ParallelHasherTests {
    /// Files of very different sizes so workers finish out of order.
    private func makeFiles(_ dir: TemporaryDirectory, count: Int) throws -> [String] {
        try (0..<count).map { i in
            let size = (i % 7 == 0) ? 300_000 + i : 17 * i
            return try dir.write("f\(i)", String(repeating: String(UnicodeScalar(UInt8(65 + i % 26))), count: size))
        }
    }

    @Test(arguments: [1, 2, 8])
    func resultsComeBackInInputOrder(concurrency: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try makeFiles(dir, count: 40)
        let shuffled = files.reversed() + files.prefix(5)
        let expected = try shuffled.map { try ContentHasher.digestFile(at: $0) }
        #expect(try ParallelHasher.digests(of: Array(shuffled), concurrency: concurrency) == expected)
        let sha512 = try ParallelHasher.digests(of: files, algorithm: .sha512, concurrency: concurrency)
        #expect(sha512 == (try files.map { try ContentHasher.digestFile(at: $0, .sha512) }))
    }

    @Test func failuresStayWithTheirFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try makeFiles(dir, count: 6)
        let missing = dir.path + "/missing"
        let results = ParallelHasher.results(of: [files[0], missing, files[1], dir.path])
        #expect(try results[0].get() == ContentHasher.digestFile(at: files[0]))
        #expect(try results[2].get() == ContentHasher.digestFile(at: files[1]))
        guard case let .failure(f1) = results[1], case let .failure(f3) = results[3] else {
            Issue.record("expected failures at 1 and 3: \(results)")
            return
        }
        #expect(f1.path == missing)
        #expect(f1.description.hasPrefix(missing + ": open failed"))
        #expect(f3.path == dir.path, "a directory cannot be read as a file")

        #expect {
            try ParallelHasher.digests(of: [files[0], missing, dir.path])
        } throws: { error in
            (error as? ParallelHasher.FileFailure)?.path == missing
        }
    }

    @Test func emptyInputAndMapOfAnyWork() throws {
        #expect(try ParallelHasher.digests(of: []).isEmpty)
        let lengths = ParallelHasher.map(["a", "bb", "ccc"], concurrency: 3) { $0.count }
        #expect(lengths.map { try? $0.get() } == [1, 2, 3])
    }
}
