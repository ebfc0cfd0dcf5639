/// How catalyst ends when something goes wrong, so the simulator prints the
/// same kind of lines and exits with the same status:
/// - `critical`: `log.critical(...)` → `CRITICAL: …`, exit 1 (unknown
///   catalyst.conf key, unparsable conf, bad digests in catalyst 3).
/// - `catalystError`: `raise CatalystError(...)` → `ERROR   : CatalystError: …`;
///   exit 2 when raised while the target is constructed (unknown or missing
///   spec key, seed or snapshot not found, distdir missing), exit 1 with a
///   traceback when raised outside `build_target` (no `target` key, bad
///   digests in catalyst 4).
/// - `python`: any other Python exception (bad `%` in a spec value, type
///   errors from list-valued keys): traceback on stderr, exit 1.
/// - `notSimulated`: something real catalyst would do that the simulator
///   does not model; exit 1 with a line starting `catalyst-sim:`.
enum SimFailure: Error, Sendable {
    case critical(String)
    case catalystError(String)
    case python(PythonException)
    case notSimulated(String)
}
