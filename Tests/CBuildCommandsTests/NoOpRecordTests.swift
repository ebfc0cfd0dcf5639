import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// The no-op record through the real binary (docs/performance.md): a no-op
/// is replayed only while every path it read is as recorded, and whatever
/// changed — a same-size rewrite with its time put back, a file renamed
/// over, a new file in a listed directory, the state database, a removed
/// output, the environment, a moved directory — makes the next run a full
/// one that does exactly what it would have done without records.
@Suite(.serialized) struct NoOpRecordTests {
    static let explain = ["CBUILD_EXPLAIN_NOOP": "1"]

    /// `cbuild` with the record explained on stderr.
    func run(_ ex: ExampleBuildDirectory, _ args: [String], _ environment: [String: String] = [:]) throws -> CLIResult {
        try ex.cbuild(args, environment: Self.explain.merging(environment) { _, new in new })
    }

    /// What happened to the record: "replayed", "saved", "not used: …", "not saved: …", or "" (no record).
    static func record(_ r: CLIResult) -> String {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("cbuild: no-op record: ") }
            .map { $0.dropFirst("cbuild: no-op record: ".count) }.joined(separator: "; ")
    }

    /// The output without the record's explanation lines.
    static func output(_ r: CLIResult) -> String {
        r.stdout + "|" + r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("cbuild: no-op record: ") }.joined(separator: "\n")
    }

    @Test func aNoOpIsReplayedWithTheSameOutputAndStatusAndStatusToo() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try run(ex, ["stage4/workstation"]).status == 0)
        let full = try settle(ex)
        #expect(full.status == 0 && Self.saved(full), "\(full)")
        let replayed = try run(ex, ["stage4/workstation"])
        #expect(Self.record(replayed) == "replayed", "\(replayed)")
        #expect(replayed.status == 0)
        #expect(Self.output(replayed) == Self.output(full))
        #expect(full.stdout.contains("nothing to do"))
        #expect(ex.simRuns().count == 1)

        // status, and status --check with nodes never built (exit 1 both times).
        // The first status may ask the image tools what they are (a child
        // process: nothing saved); the next one saves.
        let status = try settle(ex, ["status"])
        let again = try run(ex, ["status"])
        #expect(Self.record(again) == "replayed" && Self.output(again) == Self.output(status), "\(again)")
        let check = try settle(ex, ["status", "--check"])
        #expect(check.status == 1)
        let checkAgain = try run(ex, ["status", "--check"])
        #expect(checkAgain.status == 1 && Self.record(checkAgain) == "replayed", "\(checkAgain)")

        // CBUILD_FULL_CHECK: neither used nor saved.
        let forced = try run(ex, ["stage4/workstation"], ["CBUILD_FULL_CHECK": "1"])
        #expect(forced.status == 0 && Self.record(forced).contains("not saved: CBUILD_FULL_CHECK"), "\(forced)")
    }

    /// Runs `args` until a run saves its record or replays one saved before
    /// (at most three runs), then checks the next one is replayed.
    @discardableResult
    func settle(_ ex: ExampleBuildDirectory, _ args: [String] = ["stage4/workstation"]) throws -> CLIResult {
        // A run right after a build may re-hash what the build wrote (the digest
        // cache's racy entries), which writes the database: it saves nothing.
        var full = try run(ex, args)
        var changes: [String] = []
        for _ in 0..<3 where !Self.saved(full) && Self.record(full) != "replayed" {
            let before = Self.dump(ex)
            full = try run(ex, args)
            changes.append(Self.difference(before, Self.dump(ex)))
        }
        #expect(Self.saved(full) || Self.record(full) == "replayed", "\(full)\nwhat the runs changed in the state database:\n\(changes.joined(separator: "\n--\n"))")
        let replayed = try run(ex, args)
        #expect(Self.record(replayed) == "replayed", "\(replayed)")
        return full
    }

    /// The state database as SQL text (sqlite3 .dump), to show what a run wrote.
    static func dump(_ ex: ExampleBuildDirectory) -> [String] {
        let r = try? SystemProcessRunner().run(["sqlite3", ex.path + "/.cache/state.db", ".dump"])
        return (r?.stdoutString ?? "").split(separator: "\n").map(String.init)
    }

    static func difference(_ a: [String], _ b: [String]) -> String {
        let (x, y) = (Set(a), Set(b))
        return (a.filter { !y.contains($0) }.map { "- " + $0.prefix(300) } + b.filter { !x.contains($0) }.map { "+ " + $0.prefix(300) })
            .joined(separator: "\n")
    }

    static func saved(_ r: CLIResult) -> Bool { record(r).hasSuffix("saved") && !record(r).contains("not saved") }

    /// The record was not used because of `path` (the file, or a directory above it whose listing changed with it).
    static func notUsed(_ r: CLIResult, because path: String) -> Bool {
        let text = record(r)
        guard text.hasPrefix("not used: ") else { return false }
        let named = text.dropFirst("not used: ".count).split(separator: " ").first.map(String.init) ?? ""
        return named == path || path.hasPrefix(named + "/")
    }

    @Test func everyChangeToWhatTheRunReadEndsTheReplayAndRebuildsExactlyItsDependents() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try run(ex, ["stage4/workstation"]).status == 0)
        try settle(ex)
        var runs = ex.simRuns().count

        // A same-size rewrite with its modification time put back (touch -d):
        // the inode's change time still differs.
        let feature = ex.path + "/features/desktop.toml"
        let before = try FileStat.of(feature)
        try ex.edit("features/desktop.toml") { $0.replacingOccurrences(of: "use = [\"X\"", with: "use = [\"Y\"") }
        #expect(try FileStat.of(feature).size == before.size)
        var times = [timespec(tv_sec: Int(before.mtimeNs / 1_000_000_000), tv_nsec: Int(before.mtimeNs % 1_000_000_000)),
                     timespec(tv_sec: Int(before.mtimeNs / 1_000_000_000), tv_nsec: Int(before.mtimeNs % 1_000_000_000))]
        #expect(utimensat(AT_FDCWD, feature, &times, 0) == 0)
        #expect(try FileStat.of(feature).mtimeNs == before.mtimeNs)
        let changed = try run(ex, ["stage4/workstation"])
        #expect(changed.status == 0 && Self.notUsed(changed, because: feature), "\(changed)")
        #expect(ex.simRuns().count == runs + 1, "the changed feature rebuilds its stage")
        runs = ex.simRuns().count
        try settle(ex)

        // The same bytes renamed over the file: another inode, the same key.
        let target = ex.path + "/targets/workstation.toml"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: target))
        try bytes.write(to: URL(fileURLWithPath: target + ".new"))
        #expect(rename(target + ".new", target) == 0)
        let renamed = try run(ex, ["stage4/workstation"])
        #expect(Self.notUsed(renamed, because: target), "\(renamed)")
        #expect(renamed.stdout.contains("nothing to do") && ex.simRuns().count == runs, "\(renamed)")
        try settle(ex)

        // A new file in a directory the configuration lists.
        _ = try ex.dir.write("features/unused.toml", "description = \"nothing uses it\"\npackages = []\n")
        let listed = try run(ex, ["stage4/workstation"])
        #expect(listed.status == 0 && Self.notUsed(listed, because: ex.path + "/features/unused.toml"), "\(listed)")
        #expect(ex.simRuns().count == runs)
        try settle(ex)

        // Another command wrote the state database (it built another node).
        #expect(try run(ex, ["stage4/vm/test"]).status == 0)
        runs = ex.simRuns().count
        let afterOther = try run(ex, ["stage4/workstation"])
        // (The first difference found may be what the other build wrote beside the database.)
        #expect(Self.record(afterOther).hasPrefix("not used: "), "\(afterOther)")
        #expect(afterOther.stdout.contains("nothing to do") && ex.simRuns().count == runs)
        try settle(ex)

        // The output the build made current is removed.
        let out = ex.path + "/artifacts/out/stage4/workstation.tar.xz"
        let built = try FileManager.default.destinationOfSymbolicLink(atPath: out)
        let builtPath = built.hasPrefix("/") ? built : (out as NSString).deletingLastPathComponent + "/" + built
        #expect(unlink(builtPath) == 0)
        let removed = try run(ex, ["stage4/workstation"])
        #expect(removed.status == 0 && Self.record(removed).hasPrefix("not used: "), "\(removed)")
        #expect(ex.simRuns().count == runs + 1, "a removed output is built again: \(removed)")
        runs = ex.simRuns().count
        try settle(ex)

        // Another environment is another invocation: no record of it.
        let other = try run(ex, ["stage4/workstation"], ["CBUILD_TEST_UNRELATED": "1"])
        #expect(other.status == 0 && Self.record(other) == "saved", "\(other)")

        // A file dated in the future (changed "just now" as far as the run can
        // tell): its content could change again unseen, so nothing is saved.
        try ex.edit("features/desktop.toml") { $0 + "\n" }
        var future = [timespec(tv_sec: Int(Date().timeIntervalSince1970) + 3600, tv_nsec: 0),
                      timespec(tv_sec: Int(Date().timeIntervalSince1970) + 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, feature, &future, 0) == 0)
        let racy = try run(ex, ["stage4/workstation"])
        #expect(Self.record(racy).contains("not saved: changed just before the run read it (within the racy margin): \(feature)"), "\(racy)")
        let racyAgain = try run(ex, ["stage4/workstation"])
        #expect(!Self.record(racyAgain).contains("replayed"), "\(racyAgain)")
    }

    /// A damaged record (cut short by a full disk, or edited) is not a record:
    /// the full run answers, as without it, and saves a good one in its place.
    @Test func aTruncatedOrGarbledRecordMeansAFullRunThatSavesANewOne() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try run(ex, ["stage4/workstation"]).status == 0)
        try settle(ex)
        let dir = ex.path + "/.cache/noop"
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".rec") })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))
        for damaged in [bytes.prefix(bytes.count / 2), Data("not a record".utf8), bytes + Data([0])] {
            try damaged.write(to: URL(fileURLWithPath: dir + "/" + file))
            let r = try run(ex, ["stage4/workstation"])
            #expect(r.status == 0 && r.stdout.contains("nothing to do"), "\(r)")
            #expect(Self.saved(r), "\(r)")
            #expect(Self.record(try run(ex, ["stage4/workstation"])) == "replayed")
        }
        #expect(ex.simRuns().count == 1)
    }

    @Test func aHeldLockOrAMovedDirectoryMeansAFullRun() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try run(ex, ["stage4/workstation"]).status == 0)
        try settle(ex)

        // Another process holds the lock: the full run's answer (exit 4), not the record's.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-x", ex.path + "/.cache/lock", "-c", "sleep 30"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        var locked = try run(ex, ["stage4/workstation"])
        for _ in 0..<50 where locked.status == 0 {
            Thread.sleep(forTimeInterval: 0.1)
            locked = try run(ex, ["stage4/workstation"])
        }
        #expect(locked.status == 4, "\(locked)")
        #expect(Self.record(locked).hasPrefix("not used: the lock is taken"), "\(locked)")
        holder.terminate(); holder.waitUntilExit()
        let free = try run(ex, ["stage4/workstation"])
        #expect(Self.record(free) == "replayed", "\(free)")

        // The whole directory moved: another working directory, so no record
        // of this invocation; the full run notices the move and rebuilds nothing.
        let moved = ex.path + "-moved"
        #expect(rename(ex.path, moved) == 0)
        defer { try? FileManager.default.removeItem(atPath: moved) }
        let there = try CLI.run(["stage4/workstation"], in: moved,
                                environment: Self.explain.merging(["CATALYST_SIM_RUNS_FILE": moved + "/sim-runs.txt"]) { $1 })
        #expect(there.status == 0 && there.stdout.contains("nothing to do"), "\(there)")
        // That run re-rendered catalyst.conf for the new path: it wrote, so it saved nothing.
        #expect(Self.record(there).hasPrefix("not saved: changed \(moved)/.cache/catalyst/"), "\(there)")
        // The next runs (the first may re-hash what the move made look new) save one and replay it.
        var next = there
        var changes: [String] = []
        let movedDump = { (try? SystemProcessRunner().run(["sqlite3", moved + "/.cache/state.db", ".dump"]))?.stdoutString
            .split(separator: "\n").map(String.init) ?? [] }
        for _ in 0..<3 where !Self.saved(next) {
            let before = movedDump()
            next = try CLI.run(["stage4/workstation"], in: moved,
                               environment: Self.explain.merging(["CATALYST_SIM_RUNS_FILE": moved + "/sim-runs.txt"]) { $1 })
            changes.append(Self.difference(before, movedDump()))
        }
        #expect(Self.saved(next), "\(next)\nwhat the runs changed in the state database:\n\(changes.joined(separator: "\n--\n"))")
        let replayedThere = try CLI.run(["stage4/workstation"], in: moved,
                                        environment: Self.explain.merging(["CATALYST_SIM_RUNS_FILE": moved + "/sim-runs.txt"]) { $1 })
        #expect(Self.record(replayedThere) == "replayed", "\(replayedThere)")
    }

    /// The record holds every path the process looked at: strace sees the
    /// system calls themselves, so a reader that bypassed the watched libc
    /// functions would show up here as a path missing from the record.
    @Test func theRecordNamesEveryPathTheRunLookedAt() throws {
        guard let strace = Executables.find("strace") else {
            Issue.record("strace is missing (scripts/install-deps installs it)")
            return
        }
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try run(ex, ["stage4/workstation"]).status == 0)
        try settle(ex)
        try FileManager.default.removeItem(atPath: ex.path + "/.cache/noop")
        let trace = ex.path + "/../" + (ex.path as NSString).lastPathComponent + ".strace"
        defer { try? FileManager.default.removeItem(atPath: trace) }
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "dumb"
        env["PATH"] = BuiltProducts.directory + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["CATALYST_SIM_RUNS_FILE"] = ex.runsFile
        env["CBUILD_EXPLAIN_NOOP"] = "1"
        let r = try SystemProcessRunner().run([strace, "-f", "-qq", "-o", trace, "-e", "trace=%file",
                                               BuiltProducts.path("cbuild"), "-C", ex.path, "stage4/workstation"],
                                              environment: env, currentDirectory: ex.path, input: nil)
        #expect(r.succeeded && r.stderrString.contains("cbuild: no-op record: saved"), "\(r.stderrString)")
        let records = try FileManager.default.contentsOfDirectory(atPath: ex.path + "/.cache/noop").filter { $0.hasSuffix(".rec") }
        #expect(records.count == 1)
        guard let record = records.first, let observed = NoOpRecord.observations(inRecord: ex.path + "/.cache/noop/" + record) else {
            Issue.record("no readable record"); return
        }
        let recorded = Set(observed.map(\.path))
        // From main on: what the dynamic loader and the runtime read before it is not the program's.
        let log = try String(contentsOfFile: trace, encoding: .utf8)
        guard let main = log.range(of: "\"/proc/self/cmdline\"") else { Issue.record("no identity read in the trace"); return }
        let lineStart = log[..<main.lowerBound].lastIndex(of: "\n").map { log.index(after: $0) } ?? log.startIndex
        let fromMain = String(log[lineStart...])
        let looked = Self.pathsLookedAt(fromMain, cwd: ex.path)
        #expect(looked.count > 100, "\(looked.count) paths in the trace")
        let bookkeeping = [ex.path + "/.cache/state.db", ex.path + "/.cache/lock", ex.path + "/.cache/noop"]
        let missing = looked.filter { path in
            !recorded.contains(path) && !bookkeeping.contains { path.hasPrefix($0) } && path != ex.path + "/.cache"
                && !Self.processPlumbing(path)
        }
        #expect(missing.isEmpty, "looked at but not recorded: \(missing.sorted())")
    }

    /// Paths named by the file system calls of an `strace -e trace=%file` log
    /// (absolute, or relative to the working directory).
    static func pathsLookedAt(_ log: String, cwd: String) -> Set<String> {
        var paths = Set<String>()
        for line in log.split(separator: "\n") {
            guard let open = line.firstIndex(of: "("), let quote = line[open...].firstIndex(of: "\"") else { continue }
            let call = line[line.index(after: line.firstIndex(of: " ") ?? line.startIndex)..<open]
            let args = line[line.index(after: open)..<quote]
            // Calls relative to a directory descriptor other than the working directory name no path alone.
            if !args.isEmpty && !args.hasPrefix("AT_FDCWD") { continue }
            guard let end = line[line.index(after: quote)...].firstIndex(of: "\"") else { continue }
            let path = String(line[line.index(after: quote)..<end])
            if path.isEmpty || call == "execve" { continue }
            paths.insert(path.hasPrefix("/") ? path : cwd + "/" + path)
        }
        return paths
    }

    /// What the dynamic loader and libc read for themselves before and beside
    /// the program (shared libraries, locale data), and the kernel's trees.
    static func processPlumbing(_ path: String) -> Bool {
        ["/proc/", "/sys/", "/dev/"].contains { path.hasPrefix($0) }
            || path == "/etc/ld.so.cache" || path == "/etc/ld.so.preload"
            || path.hasSuffix(".so") || path.contains(".so.")
            || path.hasPrefix("/usr/lib/locale/") || path.hasPrefix("/usr/lib/x86_64-linux-gnu/gconv/")
            // libcrypto's own configuration, read on its first use: hashing the
            // invocation's identity, before the run is watched.
            || path.hasSuffix("/ssl/openssl.cnf")
    }
}
