import Foundation
#if os(Linux)
import Synchronization
#endif

/// A flag set once and read on every lookup: an atomic where the platform
/// guarantees one (Linux), else a mutex. The digest cache checks on every
/// lookup whether its table is loaded; a read lock for that was a second
/// lock round trip per hit.
final class LoadedFlag: @unchecked Sendable {
    #if os(Linux)
    private let value = Atomic<Bool>(false)
    /// Release: whatever was written before `set()` is seen by a reader that sees the flag.
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
    #else
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    #endif
}
