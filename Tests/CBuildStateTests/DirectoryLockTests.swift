import Testing
import Foundation
@testable import CBuildState
import CBuildBasics
import CBuildTestSupport

/// One writer or many readers, checked against real second processes.
@Suite struct DirectoryLockTests {
    private static let since = "2026-11-26T16:45:33Z"

    /// Whether anyone (reader or writer) holds an flock on `path`, probed
    /// through a fresh open file description.
    private func heldByAnyone(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0
    }

    private func contents(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Starts `flock(1)` holding the lock in another process while a shell
    /// child writes a writer's line naming its own pid, as cbuild would.
    private func foreignWriter(_ lockPath: String, command: String = "cbuild fleet/prod") throws -> (SpawnedProcess, Int32) {
        let holder = try SpawnedProcess([
            "/usr/bin/flock", "-x", "-n", "-o", lockPath,
            "/bin/sh", "-c", "echo \"$$ \(command) \(Self.since)\" > \"$0\"; exec sleep 30", lockPath,
        ])
        #expect(eventually { !contents(lockPath).isEmpty })
        let pid = Int32(contents(lockPath).split(separator: " ").first ?? "") ?? -1
        return (holder, pid)
    }

    @Test func exclusiveRecordsItsHolderAndReleaseClearsIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"   // does not exist yet
        let lock = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild stage4/web")
        #expect(lock.isHeld)
        #expect(lock.path == cache + "/lock")
        let line = contents(lock.path)
        #expect(line.hasPrefix("\(getpid()) cbuild stage4/web 20"))
        let holder = try #require(DirectoryLock.parse(line))
        #expect(holder.pid == getpid())
        #expect(holder.command == "cbuild stage4/web")
        #expect(abs(try #require(holder.since).timeIntervalSinceNow) < 3600)
        #expect(heldByAnyone(lock.path))

        lock.release()
        #expect(!lock.isHeld)
        #expect(contents(lock.path).isEmpty)
        #expect(!heldByAnyone(lock.path))
        lock.release()  // twice is harmless
    }

    @Test func secondWriterInAnotherProcessFailsAtOnceNamingThePid() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let (holder, pid) = try foreignWriter(cache + "/lock")
        defer { holder.stop() }
        #expect(pid > 0)

        do {
            _ = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild all")
            Issue.record("a second writer got the lock")
        } catch let error as StateError {
            #expect(error == .locked(pid: pid, command: "cbuild fleet/prod",
                                     since: DirectoryLock.parseTime(Self.since), childStillRunning: false))
            #expect(error.exitStatus == .locked)
            #expect(error.exitStatus.rawValue == 4)
            #expect(error.message.contains("pid \(pid)"))
            #expect(error.message.contains("cbuild fleet/prod"))
        }
        // The failed attempt left the holder's line alone.
        #expect(contents(cache + "/lock").hasPrefix("\(pid) cbuild fleet/prod"))

        holder.stop()
        let lock = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild all")
        #expect(lock.isHeld)
        #expect(contents(lock.path).hasPrefix("\(getpid()) cbuild all "))
    }

    @Test func readersSharePlainly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        let a = try DirectoryLock.acquire(cacheDirectory: cache, mode: .shared, command: "cbuild status")
        let b = try DirectoryLock.acquire(cacheDirectory: cache, mode: .shared, command: "cbuild explain")
        #expect(a.isHeld && b.isHeld)
        #expect(a.writerHolding == nil && b.writerHolding == nil)
        // Another process may share too, but not write.
        let runner = SystemProcessRunner()
        #expect(try runner.run(["/usr/bin/flock", "-s", "-n", a.path, "true"]).status == 0)
        #expect(try runner.run(["/usr/bin/flock", "-x", "-n", a.path, "true"]).status == 1)
        a.release(); b.release()
        #expect(try runner.run(["/usr/bin/flock", "-x", "-n", a.path, "true"]).status == 0)
    }

    @Test func readerBesideAWriterGetsAnUnlockedRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let (holder, pid) = try foreignWriter(cache + "/lock", command: "cbuild nightly")
        defer { holder.stop() }

        let reader = try DirectoryLock.acquire(cacheDirectory: cache, mode: .shared, command: "cbuild status")
        #expect(!reader.isHeld)
        #expect(reader.writerHolding == DirectoryLock.Holder(pid: pid, command: "cbuild nightly",
                                                            since: DirectoryLock.parseTime(Self.since), processAlive: true))
        #expect(reader.inheritableDescriptor == -1)
    }

    @Test func writerFailsWhileReadersStayTooLong() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let reader = try SpawnedProcess(["/usr/bin/flock", "-s", "-n", "-o", cache + "/lock", "sleep", "30"])
        defer { reader.stop() }
        #expect(eventually { heldByAnyone(cache + "/lock") })

        #expect {
            try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild", readerWait: 0.2)
        } throws: { error in
            guard case .lockedByReaders? = error as? StateError else { return false }
            return (error as? StateError)?.exitStatus == .locked
        }
    }

    @Test func writerWaitsForShortReaders() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let reader = try SpawnedProcess(["/usr/bin/flock", "-s", "-n", "-o", cache + "/lock", "sleep", "0.3"])
        defer { reader.stop() }
        #expect(eventually { heldByAnyone(cache + "/lock") })
        // Generous wait: the reader ends after 0.3 s; nothing here measures time.
        let lock = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild", readerWait: 30)
        #expect(lock.isHeld)
    }

    /// SPEC 3's crash rule: the catalyst child inherits the lock and keeps it
    /// after cbuild is gone, until the child itself exits.
    @Test func inheritedDescriptorKeepsTheLockInTheChild() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        let lock = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild stage4/base")
        let fd = lock.inheritableDescriptor
        #expect(fd >= 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC == 0)
        let child = try SpawnedProcess(["/usr/bin/sleep", "30"], keep: [fd])
        defer { child.stop() }
        lock.abandonForTesting()   // cbuild's own descriptor is gone, as after kill -9

        #expect(heldByAnyone(cache + "/lock"))
        #expect(throws: StateError.locked(pid: getpid(), command: "cbuild stage4/base",
                                          since: DirectoryLock.parse(contents(cache + "/lock"))?.since,
                                          childStillRunning: false)) {
            try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild")
        }

        child.stop()
        let again = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild")
        #expect(again.isHeld)
    }

    /// A killed cbuild (a shell here) whose child still holds the lock: the
    /// recorded pid is dead, the lock is not free, and the error says so.
    @Test func killedHolderWithRunningChildIsReported() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let lockPath = cache + "/lock", childPidPath = dir.path + "/child.pid"
        let script = """
            exec 9<>"$1"
            /usr/bin/flock -x -n 9 || exit 3
            echo "$$ cbuild stage4/web \(Self.since)" > "$1"
            sleep 30 &
            echo $! > "$2.tmp" && mv "$2.tmp" "$2"
            wait
            """
        let holder = try SpawnedProcess(["/bin/sh", "-c", script, "sh", lockPath, childPidPath])
        defer { holder.signalGroup() }
        #expect(eventually { FileManager.default.fileExists(atPath: childPidPath) })
        let sleepPid = try #require(Int32(contents(childPidPath).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(sleepPid, SIGKILL) }

        #expect(kill(holder.pid, SIGKILL) == 0)
        holder.wait()
        #expect(heldByAnyone(lockPath))

        do {
            _ = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild")
            Issue.record("got a lock still held by the orphaned child")
        } catch let error as StateError {
            #expect(error == .locked(pid: holder.pid, command: "cbuild stage4/web",
                                     since: DirectoryLock.parseTime(Self.since), childStillRunning: true))
            #expect(error.message.contains("held by a child of pid \(holder.pid) (cbuild was killed; its catalyst run is still going)"))
            #expect(error.exitStatus == .locked)
        }
        let reader = try DirectoryLock.acquire(cacheDirectory: cache, mode: .shared, command: "cbuild status")
        #expect(!reader.isHeld)
        #expect(reader.writerHolding?.pid == holder.pid)
        #expect(reader.writerHolding?.processAlive == false)

        #expect(kill(sleepPid, SIGKILL) == 0)
        var lock: DirectoryLock?
        #expect(eventually { lock = try? DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild"); return lock != nil })
        #expect(lock?.isHeld == true)
    }

    /// Text left by a writer that died with no child: the lock is free, so
    /// the next writer takes it and a reader clears the stale line.
    @Test func staleLineWithoutHolderIsIgnored() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = dir.path + "/.cache"
        let gone = try SpawnedProcess(["/bin/true"])
        gone.wait()
        try dir.write(".cache/lock", "\(gone.pid) cbuild old \(Self.since)\n")
        #expect(DirectoryLock.parse(contents(cache + "/lock"))?.processAlive == false)

        let reader = try DirectoryLock.acquire(cacheDirectory: cache, mode: .shared, command: "cbuild status")
        #expect(reader.isHeld)
        #expect(contents(cache + "/lock").isEmpty)
        reader.release()

        try dir.write(".cache/lock", "\(gone.pid) cbuild old \(Self.since)\n")
        let writer = try DirectoryLock.acquire(cacheDirectory: cache, mode: .exclusive, command: "cbuild new")
        #expect(contents(writer.path).hasPrefix("\(getpid()) cbuild new "))
    }

    @Test func unusableCacheDirectoryIsAUsageError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write(".cache", "a file, not a directory")
        #expect {
            try DirectoryLock.acquire(cacheDirectory: dir.path + "/.cache", mode: .exclusive, command: "cbuild")
        } throws: { error in
            guard let e = error as? StateError, case .cacheUnusable = e else { return false }
            return e.exitStatus == .usage
        }
    }
}
