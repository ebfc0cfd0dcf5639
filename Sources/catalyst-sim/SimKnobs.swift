import Foundation

/// The simulator's own switches, all from the environment so that the
/// command line stays exactly catalyst's:
/// - `CATALYST_SIM_FAIL=<glob>`: fail (exit 2, after some emerge lines) every
///   run whose `<rel_type>/<target>-<subarch>-<version_stamp>` matches the
///   fnmatch(3) glob (`*` also matches `/`).
/// - `CATALYST_SIM_SLEEP=<seconds>`: total time (fractional allowed) spread
///   over the emerge steps, for interrupt tests.
/// - `CATALYST_SIM_NONREPRODUCIBLE=1`: put a random file into the stage.
/// - `CATALYST_SIM_RUNS_FILE=<path>`: append `<pid> <rel_type>/<target>-<subarch>-<version_stamp>`
///   per invocation that gets as far as reading its spec.
/// - `CATALYST_SIM_PARSE_ONLY=1`: parse the `-f` spec, print it as JSON, exit
///   (no catalyst.conf needed) — for testing a spec renderer against the parser.
/// - `CATALYST_SIM_PAYLOAD_MB=<n>`: put n MiB of incompressible bytes
///   (SplitMix64 seeded with the build name: the same build gives the same
///   bytes) into the stage as `usr/share/catalyst-sim/payload.bin`, for
///   benchmarks that need a stage of a real size. A `.tar.xz` stage is then
///   stored in xz's container without compression (`StoredXZWriter`), so a
///   1 GiB stage takes seconds, not the minutes xz would spend on it.
/// - `SOURCE_DATE_EPOCH`: mtime of every file in the stage tarball (default 0).
struct SimKnobs: Sendable {
    var failGlob: String?
    var sleepSeconds: Double
    var nonReproducible: Bool
    var runsFile: String?
    var parseOnly: Bool
    var sourceDateEpoch: Int
    var payloadMiB: Int

    init(environment env: [String: String]) {
        let fail = env["CATALYST_SIM_FAIL"] ?? ""
        failGlob = fail.isEmpty ? nil : fail
        sleepSeconds = max(0, Double(env["CATALYST_SIM_SLEEP"] ?? "") ?? 0)
        nonReproducible = SimKnobs.isOn(env["CATALYST_SIM_NONREPRODUCIBLE"])
        let runs = env["CATALYST_SIM_RUNS_FILE"] ?? ""
        runsFile = runs.isEmpty ? nil : runs
        parseOnly = SimKnobs.isOn(env["CATALYST_SIM_PARSE_ONLY"])
        sourceDateEpoch = Int(env["SOURCE_DATE_EPOCH"] ?? "") ?? 0
        payloadMiB = max(0, Int(env["CATALYST_SIM_PAYLOAD_MB"] ?? "") ?? 0)
    }

    private static func isOn(_ v: String?) -> Bool {
        guard let v = v?.lowercased() else { return false }
        return !["", "0", "no", "false", "off"].contains(v)
    }

    /// Whether the fail knob selects this build.
    func shouldFail(buildName: String) -> Bool {
        guard let failGlob else { return false }
        return fnmatch(failGlob, buildName, 0) == 0
    }

    /// Appends one line for this invocation; one `write` with O_APPEND so
    /// parallel runs never interleave within a line.
    func recordRun(_ buildName: String) {
        guard let runsFile else { return }
        let fd = open(runsFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        CatalystLog.writeAll("\(getpid()) \(buildName)\n", to: fd)
        close(fd)
    }
}
