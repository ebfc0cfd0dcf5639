import Foundation
#if os(Linux)
import Synchronization
#endif

/// A count that threads bump concurrently: an atomic where the platform
/// guarantees one (Linux), else a mutex. The digest cache counts every hit,
/// and a shared lock per hit was most of a hit's cost on two cores.
final class LookupCounter: @unchecked Sendable {
    #if os(Linux)
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
    #else
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
    #endif
}
