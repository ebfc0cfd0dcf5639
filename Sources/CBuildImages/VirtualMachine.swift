import CBuildBasics
import Foundation

/// A QEMU process run on its own thread in its own process group, so the
/// caller can watch the console while it runs and stop it at any time.
final class VirtualMachine: @unchecked Sendable {
    let argv: [String]
    let logPath: String
    let registry: ProcessGroupRegistry?
    private let lock = NSLock()
    private var pid: pid_t = 0
    private var exit: ChildProcess.Exit?
    private var launchError: Error?
    private let done = DispatchSemaphore(value: 0)

    init(argv: [String], logPath: String, registry: ProcessGroupRegistry?) {
        self.argv = argv; self.logPath = logPath; self.registry = registry
    }

    func start() {
        let thread = Thread { [self] in
            do {
                let e = try ChildProcess.run(argv, logPath: logPath, onStart: { pid in
                    self.lock.lock(); self.pid = pid; self.lock.unlock()
                    self.registry?.add(pid)
                })
                lock.lock(); exit = e; lock.unlock()
            } catch {
                lock.lock(); launchError = error; lock.unlock()
            }
            lock.lock(); let p = pid; lock.unlock()
            if p != 0 { registry?.remove(p) }
            done.signal()
        }
        thread.start()
    }

    var exited: Bool { lock.lock(); defer { lock.unlock() }; return exit != nil || launchError != nil }
    var exitStatus: ChildProcess.Exit? { lock.lock(); defer { lock.unlock() }; return exit }
    var error: Error? { lock.lock(); defer { lock.unlock() }; return launchError }

    /// Ends the VM's process group and waits for it.
    func stop() {
        lock.lock(); let p = pid; let finished = exit != nil || launchError != nil; lock.unlock()
        if !finished && p != 0 {
            kill(-p, SIGTERM)
            if done.wait(timeout: .now() + 5) == .timedOut { kill(-p, SIGKILL); done.wait() }
            done.signal()   // leave the semaphore as it was for other waiters
        } else if !finished {
            done.wait(); done.signal()
        }
    }
}
