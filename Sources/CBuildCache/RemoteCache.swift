import CBuildBasics
import CBuildGraph
import Foundation

/// The shared remote cache, in bazel-remote's HTTP layout (also served by
/// nginx WebDAV): `cas/<sha256>` holds output files, `ac/<node key>` a
/// signed `ActionRecord` envelope. A lookup believes only records whose
/// signature checks and whose key and paths are sane; an install downloads
/// every blob to a temp file beside its destination, checks its digest
/// while it streams, and moves the files into place only when all are good.
/// A push uploads the blobs the server lacks, then the record: the record
/// is the commit point, so a reader never sees a record without its blobs.
///
/// Nothing here fails a build. A cache that is down or slow is reported
/// once and then left alone for the rest of the command; a bad record or a
/// corrupt blob is one warning naming the entry, and the node builds locally.
public final class RemoteCache: ActionCache, @unchecked Sendable {
    /// What `[cache]` resolves to, with file contents read and paths absolute.
    public struct Settings: Sendable {
        public var remote: String
        public var push: Bool
        public var token: String?
        public var signing: RecordSigner.Signing?
        /// Absolute paths of the OpenPGP public keys whose records are believed.
        public var trust: [String]
        public var timeout: TimeInterval
        /// `user@host` written into pushed records.
        public var builtBy: String

        public init(remote: String, push: Bool = false, token: String? = nil, signing: RecordSigner.Signing? = nil,
                    trust: [String] = [], timeout: TimeInterval = 30, builtBy: String = RemoteCache.defaultBuilder()) {
            self.remote = remote; self.push = push; self.token = token; self.signing = signing
            self.trust = trust; self.timeout = timeout; self.builtBy = builtBy
        }
    }

    /// Written into pushed records (`cbuild_version`); matches `cbuild --version`.
    public static let cbuildVersion = "0.1.0"

    public let root: String
    public let settings: Settings
    public let transport: any CacheTransport
    private let signer: RecordSigner
    private let events: any EventSink
    /// gpg's keyring and temporary files (OpenPGP only; nil for HMAC).
    private let workDirectory: String?
    private let queue = DispatchQueue(label: "cbuild.remote-cache", attributes: .concurrent)
    private let lock = NSLock()
    /// Set by the first outage; every later call returns at once.
    private var outage: TransportError?
    private var pushProblem: String?
    private var warned = Set<String>()
    /// Blobs found corrupt on the server: a push replaces them even though they exist.
    private var corruptBlobs = Set<String>()
    /// Makes temp file names unique when two nodes with one key install at once.
    private var installs = 0

    public init(root: String, settings: Settings, events: any EventSink, transport: (any CacheTransport)? = nil) throws {
        self.root = root
        self.settings = settings
        self.events = events
        self.transport = try transport ?? CacheTransports.make(base: settings.remote, token: settings.token,
                                                                timeout: settings.timeout)
        var usesOpenPGP = !settings.trust.isEmpty
        if case .openPGP? = settings.signing { usesOpenPGP = true }
        if usesOpenPGP {
            let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
            var template = Array("\(base)/cbuild-cache.XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw CacheProblem.local("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
            }
            workDirectory = String(cString: made)
        } else {
            workDirectory = nil
        }
        signer = RecordSigner(signing: settings.signing, trust: settings.trust, workDirectory: workDirectory ?? "")
    }

    /// Stops gpg's agent (OpenPGP signing) and removes temporary files.
    public func close() {
        signer.close()
        if let workDirectory { try? FileManager.default.removeItem(atPath: workDirectory) }
    }

    /// Whether an outage was seen (the cache is not used again this command).
    public var isDown: Bool { lock.lock(); defer { lock.unlock() }; return outage != nil }

    // MARK: - ActionCache

    public func lookup(node: NodeID, key: String) async -> CachedBuild? {
        await offThread { self.lookupNow(node: node, key: key) }
    }

    public func install(_ build: CachedBuild, node: NodeID) async -> Bool {
        await offThread { self.installNow(build, node: node) }
    }

    public func push(node: NodeID, key: String, recipe: String, inputs: [NodeInput], outputs: [NodeOutput],
                     duration: Double) async {
        guard settings.push else { return }
        await offThread {
            self.pushNow(node: node, key: key, recipe: recipe, inputs: inputs, outputs: outputs, duration: duration)
        }
    }

    // MARK: - the work (blocking, on the cache's queue)

    func lookupNow(node: NodeID, key: String) -> CachedBuild? {
        guard !isDown, let keyHex = ActionRecord.casHex(key) else { return nil }
        let path = "ac/\(keyHex)"
        let entry = "\(transport.base)/\(path)"
        let bytes: [UInt8]?
        do throws(TransportError) {
            bytes = try transport.get(path, limit: RecordEnvelope.sizeLimit)
        } catch {
            // Any answer but the entry or a 404 (a 401, a redirect, a 400 from
            // a misconfigured server) would repeat for every node: one warning.
            down(error)
            return nil
        }
        guard let bytes else { return nil }
        func ignore(_ why: String) -> CachedBuild? {
            warnOnce(entry, "\(node): cache entry \(entry) ignored: \(why); the node is built locally")
            return nil
        }
        guard let envelope = try? RecordEnvelope.decode(bytes) else { return ignore("not a cbuild record") }
        switch signer.verify(envelope) {
        case .good: break
        case .unsigned: return ignore("the record is unsigned")
        case let .bad(why): return ignore("bad signature (\(why))")
        }
        guard let record = try? ActionRecord.decode(envelope.record) else { return ignore("the signed record does not parse") }
        if let problem = record.problem(forKey: key) { return ignore(problem) }
        return CachedBuild(key: key, recipe: record.recipe, outputs: record.outputs, builtBy: record.builtBy,
                           builtAt: record.builtAt, entry: entry)
    }

    func installNow(_ build: CachedBuild, node: NodeID) -> Bool {
        lock.lock(); installs += 1; let serial = installs; lock.unlock()
        var placed: [(temp: String, final: String)] = []
        func fail(_ message: String?, entry: String) -> Bool {
            for p in placed { unlink(p.temp) }
            if let message { warnOnce(entry, message) }
            return false
        }
        for output in build.outputs {
            guard !isDown else { return fail(nil, entry: "") }
            guard let hex = ActionRecord.casHex(output.sha256) else {
                return fail("\(node): cache entry \(build.entry) has a malformed digest", entry: build.entry)
            }
            let url = "\(transport.base)/cas/\(hex)"
            let final = root + "/" + output.path
            let directory = (final as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                return fail("\(node): cannot create \(directory) for the cached build: \(error)", entry: url)
            }
            let temp = directory + "/.cbuild-fetch-\(getpid())-\(serial)-" + (final as NSString).lastPathComponent
            let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                return fail("\(node): cannot write \(temp): \(String(cString: strerror(errno)))", entry: url)
            }
            placed.append((temp, final))
            events.emit(.downloadStarted(url: url, destination: final, totalBytes: output.size, resumedFrom: 0))
            let result: (bytes: Int64, sha256: Digest)?
            do throws(TransportError) {
                result = try transport.download("cas/\(hex)", into: fd) { bytes, _ in
                    if bytes > 0 && bytes < output.size {
                        self.events.emit(.downloadProgress(url: url, bytes: bytes, totalBytes: output.size))
                    }
                }
                // Dated to its build, as tar restores a file's time: the
                // file is that build's output, and a time well in the past
                // lets the digest cache trust the digest taken on the way in.
                let built = build.builtAt.timeIntervalSince1970
                let stamp = timespec(tv_sec: Int(built), tv_nsec: Int((built - built.rounded(.down)) * 1e9))
                let times = [stamp, stamp]
                _ = futimens(fd, times)
                Glibc.close(fd)
            } catch {
                Glibc.close(fd)
                if case .localIO = error {} else { down(error); return fail(nil, entry: url) }
                return fail("\(node): cannot download \(url) (\(output.path)): \(error); the node is built locally", entry: url)
            }
            guard let result else {
                return fail("\(node): cache entry \(build.entry) names \(url) (\(output.path)), which the cache does not have; the node is built locally",
                            entry: url)
            }
            events.emit(.downloadFinished(url: url, bytes: result.bytes))
            guard result.sha256.hex == hex, result.bytes == output.size else {
                lock.lock(); corruptBlobs.insert(hex); lock.unlock()
                return fail("\(node): cache blob \(url) (\(output.path)) is corrupt: got sha256 \(result.sha256.hex), "
                            + "\(result.bytes) bytes; expected \(hex), \(output.size) bytes; discarded, the node is built locally",
                            entry: url)
            }
        }
        for (i, p) in placed.enumerated() where rename(p.temp, p.final) != 0 {
            let why = String(cString: strerror(errno))
            for q in placed[i...] { unlink(q.temp) }
            warnOnce(p.final, "\(node): cannot move the cached \(p.final) into place: \(why)")
            return false
        }
        return true
    }

    func pushNow(node: NodeID, key: String, recipe: String, inputs: [NodeInput], outputs: [NodeOutput], duration: Double) {
        lock.lock()
        let blocked = outage != nil || pushProblem != nil
        let corrupt = corruptBlobs
        lock.unlock()
        guard !blocked, let keyHex = ActionRecord.casHex(key) else { return }
        do {
            for output in outputs {
                guard let hex = ActionRecord.casHex(output.sha256) else { continue }
                let path = "cas/\(hex)"
                if !corrupt.contains(hex), let size = try transport.head(path), size == output.size { continue }
                let url = "\(transport.base)/\(path)"
                let file = root + "/" + output.path
                events.emit(.uploadStarted(url: url, source: file, totalBytes: output.size))
                try transport.upload(path, file: file) { sent in
                    if sent > 0 && sent < output.size {
                        self.events.emit(.uploadProgress(url: url, bytes: sent, totalBytes: output.size))
                    }
                }
                events.emit(.uploadFinished(url: url, bytes: output.size))
                lock.lock(); corruptBlobs.remove(hex); lock.unlock()
            }
            let record = ActionRecord(node: node.name, key: key, recipe: recipe, outputs: outputs,
                                      inputs: inputs.map { .init(name: $0.name, digest: $0.digest) }.sorted { $0.name < $1.name },
                                      builtBy: settings.builtBy, builtAt: Date(), duration: duration,
                                      cbuildVersion: Self.cbuildVersion)
            let envelope = try signer.sign(try record.encoded())
            try transport.put("ac/\(keyHex)", body: try envelope.encoded())
            events.emit(.diagnostic(Diagnostic(.note, "\(node): pushed to the cache as ac/\(keyHex.prefix(12))…")))
        } catch let error as TransportError where error.isOutage {
            down(error)
        } catch {
            lock.lock()
            let first = pushProblem == nil
            pushProblem = "\(error)"
            lock.unlock()
            if first {
                events.emit(.diagnostic(Diagnostic(.warning, "\(node): cannot push to the cache \(settings.remote): \(error); "
                                                   + "no more builds are pushed by this command")))
            }
        }
    }

    // MARK: - helpers

    /// Records the first outage and warns once; later calls skip the cache.
    private func down(_ error: TransportError) {
        lock.lock()
        let first = outage == nil
        if first { outage = error }
        lock.unlock()
        if first {
            events.emit(.diagnostic(Diagnostic(.warning, "the cache \(settings.remote) is not usable: \(error); "
                                               + "building locally without it for the rest of this command")))
        }
    }

    private func warnOnce(_ entry: String, _ message: String) {
        lock.lock()
        let first = warned.insert(entry).inserted
        lock.unlock()
        if first { events.emit(.diagnostic(Diagnostic(.warning, message))) }
    }

    /// Runs blocking network and file work off Swift's cooperative threads.
    private func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// `user@host` of this process.
    public static func defaultBuilder() -> String {
        let user = ProcessInfo.processInfo.environment["USER"]
            ?? getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid\(geteuid())"
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return "\(user)@\(host)"
    }
}
