import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test hooks that stop an upload part-way, so the tests can check what a
/// failed or killed upload leaves behind (docs/publish.md):
/// `CBUILD_TEST_PUBLISH_FAIL_AFTER=N` fails after N uploaded blocks or
/// ranges; `CBUILD_TEST_PUBLISH_KILL_AFTER=N` sends the process SIGKILL
/// there, as a power loss would. Unset, they cost one comparison.
public struct FaultInjection: Sendable {
    public var failAfter: Int?
    public var killAfter: Int?

    public init(failAfter: Int? = nil, killAfter: Int? = nil) { self.failAfter = failAfter; self.killAfter = killAfter }

    public init(environment: [String: String]) {
        failAfter = environment["CBUILD_TEST_PUBLISH_FAIL_AFTER"].flatMap { Int($0) }
        killAfter = environment["CBUILD_TEST_PUBLISH_KILL_AFTER"].flatMap { Int($0) }
    }

    /// Called with the number of blocks uploaded so far.
    func check(_ uploaded: Int) throws(PublishError) {
        if let killAfter, uploaded >= killAfter { kill(getpid(), SIGKILL) }
        if let failAfter, uploaded >= failAfter { throw .injectedFailure(after: uploaded) }
    }
}
