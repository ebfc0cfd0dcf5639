/// The documented exit codes of cbuild (SPEC section 7). Every user-facing
/// error maps to exactly one of them.
public enum ExitStatus: Int32, Sendable, Codable {
    case success = 0
    /// A node failed to build.
    case nodeFailed = 1
    /// Usage error or invalid build directory; nothing was touched.
    case usage = 2
    /// Verification failed: signature or digest.
    case verification = 3
    /// Another cbuild holds the directory's lock.
    case locked = 4
    /// Interrupted by SIGINT/SIGTERM.
    case interrupted = 130
}
