import Foundation

/// Catalyst's SIGINT/SIGTERM behaviour (bin/catalyst): the handler prints an
/// empty line and calls `sys.exit(1)`. Nothing is cleaned up — the chroot
/// under storedir/tmp, the resume points and any partial tarball stay — and
/// the exit status is 1 (not 130: that path is only reached by a
/// KeyboardInterrupt, which the handler pre-empts). SIGPIPE is left at its
/// default.
enum SignalHandling {
    static func install() {
        // A parent may start us with these signals blocked (the mask is
        // inherited across exec); catalyst's Python would receive them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT, catalystExitHandler)
        signal(SIGTERM, catalystExitHandler)
        signal(SIGPIPE, SIG_DFL)
    }
}

/// Async-signal-safe: one write(2), then _exit(2)-style termination.
private func catalystExitHandler(_ signal: Int32) {
    var newline: UInt8 = 10
    _ = write(1, &newline, 1)
    _exit(1)
}
