import CBuildArtifacts
import CBuildBasics
import CBuildConfig
import CBuildImages
import CBuildState
import Foundation

/// `cbuild doctor`: checks the environment a build needs, one line per
/// check. Takes no lock and changes nothing, so it also works while a build
/// runs or when the configuration is broken.
public enum Doctor {
    public struct Check: Codable, Sendable {
        public enum Level: String, Codable, Sendable { case ok, warn, fail }
        public var name: String
        public var level: Level
        public var detail: String
        public init(_ name: String, _ level: Level, _ detail: String) { self.name = name; self.level = level; self.detail = detail }
    }

    public static func run(explicit: String?, catalystCommand: [String]?, cwd: String = FileManager.default.currentDirectoryPath,
                           runner: ProcessRunning = SystemProcessRunner()) -> [Check] {
        var checks: [Check] = []
        let directory: BuildDirectory
        do { directory = try BuildDirectory.discover(from: cwd, explicit: explicit) } catch {
            return [Check("build directory", .fail, "\(error)")]
        }
        checks.append(Check("build directory", .ok, directory.root))
        let config: BuildConfiguration?
        do {
            let c = try BuildConfiguration.load(directory)
            config = c
            checks.append(Check("configuration", .ok, "\(c.targets.count) targets, \(c.features.count) features, \(c.fleets.count) fleets"))
        } catch {
            config = nil
            checks.append(Check("configuration", .fail, "\(error)"))
        }

        // catalyst
        let command = catalystCommand ?? config?.project.catalyst.command ?? ["catalyst"]
        let program = command.first { $0 != "sudo" && !$0.hasPrefix("-") } ?? "catalyst"
        if let path = Executables.find(program) {
            let out = (try? runner.run([path, "--version"]))
            let text = ((out?.stdoutString ?? "") + (out?.stderrString ?? "")).split(separator: "\n").first.map(String.init) ?? "?"
            let simulated = text.lowercased().contains("sim")
            var detail = "\(path): \(text)"
            var level: Check.Level = simulated ? .warn : .ok
            if let v = text.firstMatchVersion, let flavor = config?.project.catalyst.flavor, !simulated {
                let major = Int(v.split(separator: ".").first ?? "") ?? 0
                if major != flavor { level = .fail; detail += " — but [catalyst] flavor = \(flavor)" }
            }
            if simulated { detail += " — the simulator, not a real build" }
            checks.append(Check("catalyst", level, detail))
        } else {
            checks.append(Check("catalyst", .fail, "\(program) not found in PATH (install dev-util/catalyst, or set [catalyst] command)"))
        }
        let root = getuid() == 0
        checks.append(Check("root", root || command.first == "sudo" ? .ok : .fail,
                            root ? "running as root" : (command.first == "sudo" ? "catalyst runs through sudo" : "catalyst needs root: run as root or set [catalyst] command = [\"sudo\", \"catalyst\"]")))

        // OpenPGP
        for tool in ["gpgv", "gpg"] {
            let p = Executables.find(tool)
            checks.append(Check(tool, p == nil ? (tool == "gpgv" ? .fail : .warn) : .ok,
                                p ?? (tool == "gpgv" ? "not found: signatures cannot be verified (app-crypt/gnupg)" : "not found: key fingerprints cannot be shown")))
        }
        if let c = config {
            var files = c.project.snapshots.keyring.map { directory.path($0) }
            if FileManager.default.fileExists(atPath: Keyring.gentooSystemKeyFile) { files.append(Keyring.gentooSystemKeyFile) }
            if files.isEmpty {
                checks.append(Check("keyring", .fail, "no keys: put OpenPGP public keys in keys/*.asc or set [snapshots] keyring"))
            }
            for f in files {
                var detail = f
                if !FileManager.default.fileExists(atPath: f) {
                    checks.append(Check("keyring", .fail, detail + ": missing"))
                } else if let gpg = Executables.find("gpg") {
                    let r = try? runner.run([gpg, "--batch", "--no-default-keyring", "--with-colons", "--show-keys", f])
                    let fprs = (r?.stdoutString ?? "").split(separator: "\n").filter { $0.hasPrefix("fpr:") }
                        .compactMap { $0.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first.map(String.init) }
                    detail += ": " + (fprs.isEmpty ? "holds no usable OpenPGP key" : fprs.joined(separator: ", "))
                    checks.append(Check("keyring", fprs.isEmpty ? .fail : .ok, detail))
                } else {
                    checks.append(Check("keyring", FileManager.default.fileExists(atPath: f) ? .ok : .fail, detail))
                }
            }
        }

        // Credential files the configuration names: one git does not ignore could be committed.
        for azure in config?.azurePublishTables ?? [] {
            if let at = azure.unignoredAt {
                let (problem, hint) = azure.unignoredProblem
                checks.append(Check("azure SAS URL file", .fail, "\(at): \(problem); publishing refuses it: \(hint)"))
            } else {
                checks.append(Check("azure SAS URL file", .ok, "\(azure.sasURLFile) (listed in .gitignore)"))
            }
        }

        // tools
        var tools = ["tar", "xz", "mksquashfs", "unsquashfs"]
        switch config?.project.catalyst.compression ?? "" {
        case "pixz": tools.append("pixz")
        case "lbzip2": tools.append("lbzip2")
        case "zstd": tools.append("zstd")
        default: break
        }
        // What the configured targets' images and boot tests run.
        let formats = Set(config?.targets.values.flatMap(\.images) ?? [])
        for t in ImageTools.needed(formats: formats) where !tools.contains(t) { tools.append(t) }
        let extra = ["mksquashfs": "squashfs-tools", "unsquashfs": "squashfs-tools"]
        for t in tools {
            let p = Executables.find(t)
            let package = ImageTools.packages[t] ?? extra[t] ?? t
            checks.append(Check(t, p == nil ? .fail : .ok, p ?? "not found: install \(package) (Debian: apt-get install \(package))"))
        }
        if formats.contains("qcow2") {
            let firmware = try? Firmware.find()
            checks.append(Check("OVMF firmware", firmware == nil ? .fail : .ok,
                                firmware?.code ?? "not found: boot tests need UEFI firmware (Debian: apt-get install ovmf; Gentoo: sys-firmware/edk2-bin)"))
        }

        // disk space
        let artifacts = directory.artifactsDirectory
        var st = statvfs()
        let probe = FileManager.default.fileExists(atPath: artifacts) ? artifacts : directory.root
        if statvfs(probe, &st) == 0 {
            let free = Int64(st.f_bavail) * Int64(st.f_frsize)
            let gib = Double(free) / 1_073_741_824
            checks.append(Check("disk space", gib < 5 ? .fail : (gib < 20 ? .warn : .ok),
                                String(format: "%.1f GiB free under %@ (a stage4 build wants 20+ GiB)", gib, probe)))
        }

        // lock and state
        do {
            let lock = try DirectoryLock.acquire(cacheDirectory: directory.cacheDirectory, mode: .shared, command: "cbuild doctor")
            if let h = lock.writerHolding {
                checks.append(Check("lock", .ok, "held by pid \(h.pid) (\(h.command))" + (h.processAlive ? "" : " — that process is gone; a catalyst child it started still runs")))
            } else {
                checks.append(Check("lock", .ok, "free"))
            }
            lock.release()
        } catch {
            checks.append(Check("lock", .warn, "\(error)"))
        }
        let dbPath = directory.cacheDirectory + "/state.db"
        if FileManager.default.fileExists(atPath: dbPath) {
            checks.append(Check("state", .ok, dbPath))
        } else {
            checks.append(Check("state", .ok, "no state yet (created by the first build)"))
        }
        if let c = config {
            let flavor = c.project.catalyst.flavor
            let state = FileManager.default.fileExists(atPath: dbPath) ? try? StateDatabase.openReadOnly(at: dbPath) : nil
            let snapshots = state.map { SnapshotStore(root: directory.root, flavor: flavor, settings: MirrorSettings(mirrors: [], keyring: [], maxAgeDays: 1, allowHTTP: false),
                                                      database: $0, runner: runner, events: NullEventSink(), now: { Date() }, actor: "") }
            for role in Set(c.targets.values.map(\.snapshot)).sorted() {
                let link = directory.path(ProjectGraph.snapshotRoleLink(flavor: flavor, role: role))
                guard let t = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else {
                    checks.append(Check("snapshot \(role)", .warn, "role not set: `cbuild snapshot fetch --role \(role)`"))
                    continue
                }
                checks.append(integrityCheck("snapshot \(role)", t, (try? snapshots?.integrity(role: role)) ?? nil,
                                             refetch: "cbuild snapshot fetch --date \(t.filter(\.isNumber).prefix(8)) --role \(role)"))
            }
            let seeds = state.map { db in
                SeedStore(root: directory.root, seeds: c.project.seeds.map {
                    SeedSettings(name: $0.name, arch: $0.arch, variant: $0.variant, mirrors: [], keyring: [], allowHTTP: false)
                }, database: db, runner: runner, events: NullEventSink(), now: { Date() }, actor: "")
            }
            var seedRoles = Set<String>()
            for t in c.targets.values { if case let .seed(name) = t.seed { seedRoles.insert("\(name) \(t.seedRole ?? "stable")") } }
            for f in c.fleets.values { if let r = f.overrides?.seedRole { for s in c.project.seeds { seedRoles.insert("\(s.name) \(r)") } } }
            for entry in seedRoles.sorted() {
                let parts = entry.split(separator: " ").map(String.init)
                let link = directory.path(ProjectGraph.seedRoleLink(seed: parts[0], role: parts[1]))
                guard let t = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else {
                    checks.append(Check("seed \(parts[0]) \(parts[1])", .warn,
                                        "role not set: `cbuild seed fetch \(parts[0])\(parts[1] == "stable" ? "" : " --role \(parts[1])")`"))
                    continue
                }
                checks.append(integrityCheck("seed \(parts[0]) \(parts[1])", t,
                                             (try? seeds?.integrity(name: parts[0], role: parts[1])) ?? nil,
                                             refetch: "cbuild seed fetch \(parts[0]) --role \(parts[1])"))
            }
        }
        return checks
    }

    /// A role's file: ok when it holds the verified bytes (or was never
    /// verified: placed by hand), fail when they changed since.
    private static func integrityCheck(_ name: String, _ file: String, _ status: VerifyResult.Status?, refetch: String) -> Check {
        switch status {
        case let .modified(detail)?:
            return Check(name, .fail, "\(file) changed since it was verified (\(detail)); catalyst will not read it: restore it or `\(refetch)`")
        case .missing?: return Check(name, .fail, "\(file) is missing")
        case .unrecorded?: return Check(name, .warn, "\(file) (no verification record: placed by hand?)")
        case .intact?, nil: return Check(name, .ok, file)
        }
    }
}

private extension String {
    /// The first `N.N[.N]` in the text.
    var firstMatchVersion: String? {
        var current = ""
        for ch in self {
            if ch.isNumber || (ch == "." && !current.isEmpty) { current.append(ch) }
            else if current.contains(".") { break }
            else { current = "" }
        }
        return current.contains(".") ? current.trimmingCharacters(in: CharacterSet(charactersIn: ".")) : nil
    }
}
