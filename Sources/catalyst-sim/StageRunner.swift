import CBuildBasics
import Foundation

/// Runs a constructed stage target through its action sequence
/// (`StageBase.run()`): takes the chroot lock, handles -a/-p, prints
/// `--- Running action sequence: <step>` before each step, and stops at the
/// first step that raises, logging `Exception running action sequence <step>`
/// — catalyst then exits 2 with the chroot and resume points left behind.
/// Each step does for real what can be done without root (unpack a seed,
/// copy portage_confdir and root_overlay, write make.conf, the profile
/// link, runlevel links, capture the tarball) and simulates the rest
/// (emerge, kernels, fsscript are not executed).
final class StageRunner {
    private var t: StageTarget
    private let conf: CatalystConfig
    private let knobs: SimKnobs
    private let log: CatalystLog
    private var emerge: EmergeSimulator
    private var unpackFailed = false
    private var seedSHA256: String?
    private var seedProvenance: Any?
    private var requested: [String] = []

    /// Packages each stage1–3 run pretends to build (catalyst runs the
    /// profile's package sets through its controller scripts).
    static let fixedPackages: [String: [String]] = [
        "stage1": ["sys-apps/baselayout", "sys-libs/glibc", "sys-apps/portage"],
        "stage2": ["sys-devel/binutils", "sys-devel/gcc"],
        "stage3": ["app-shells/bash", "sys-apps/coreutils", "sys-apps/openrc"],
    ]

    init(target: StageTarget, conf: CatalystConfig, knobs: SimKnobs, log: CatalystLog) {
        t = target
        self.conf = conf
        self.knobs = knobs
        self.log = log
        let planned = StageRunner.plannedPackages(target)
        let perPackage = planned > 0 ? knobs.sleepSeconds / Double(planned) : 0
        emerge = EmergeSimulator(log: log, root: target.stagePath, pkgcachePath: target.pkgcachePath,
                                 sleepPerPackage: perPackage,
                                 failGlob: knobs.shouldFail(buildName: target.buildName) ? knobs.failGlob : nil)
        emerge.tree = RepositoryTree(path: target.snapshotPath, subarch: target.subarch)
        emerge.useFlags = EmergeSimulator.enabledFlags((target.settings["hostuse"]?.words ?? [])
            + (target.settings[target.target + "/use"]?.words ?? []))
    }

    private static func plannedPackages(_ t: StageTarget) -> Int {
        if t.target != "stage4" { return fixedPackages[t.target]?.count ?? 0 }
        var n = (t.settings["stage4/packages"]?.asList ?? []).compactMap(PackageAtom.init).count
        for name in t.settings["boot/kernel"]?.asList ?? [] {
            n += 1 + (t.settings["boot/kernel/\(name)/packages"]?.asList ?? []).compactMap(PackageAtom.init).count
        }
        return n
    }

    private var autoresumeOn: Bool { t.options.contains("autoresume") }

    private var controllerFile: String {
        let shared = t.settings["sharedir"]?.pyStr ?? "/usr/share/catalyst"
        return t.flavor == .four ? "\(shared)/targets/\(t.target)/controller.sh" : "\(shared)/targets/\(t.target)/\(t.target)-controller.sh"
    }

    /// Returns whether the build succeeded (catalyst's exit 0 vs 2).
    func run() -> Bool {
        let lockPath = t.chrootPath + ".lock"
        try? FileOps.ensureDirs((lockPath as NSString).deletingLastPathComponent)
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        if fd >= 0 { flock(fd, LOCK_EX) }
        defer { if fd >= 0 { flock(fd, LOCK_UN); close(fd) } }

        if t.options.contains("clear-autoresume") { clearAutoresume() }
        if t.options.contains("purgetmponly") {
            purge()
            // catalyst 3's run() returns None here, which main() treats as failure.
            return t.flavor == .four
        }
        if t.options.contains("purgeonly") { log.info("StageBase: run() purgeonly"); purge() }
        if t.options.contains("purge") { log.info("StageBase: run() purge"); purge() }

        let sequence = TargetRules.actionSequence(target: t.target, flavor: t.flavor, options: t.options)
        for step in sequence {
            log.notice("--- Running action sequence: \(step)")
            do {
                try perform(step)
            } catch {
                let exception: String
                switch error {
                case let SimFailure.catalystError(message):
                    log.error("CatalystError: \(message)")
                    exception = "catalyst.support.CatalystError"
                case let SimFailure.python(e): exception = e.line
                case let SimFailure.critical(m), let SimFailure.notSimulated(m): exception = "catalyst-sim: \(m)"
                default: exception = "\(error)"
                }
                log.logWithTraceback(.error, "Exception running action sequence \(step)", exception: exception)
                if t.flavor == .three { log.notice("Cleaning up... Running unbind()") }
                return false
            }
        }
        return true
    }

    // MARK: - Steps

    private func perform(_ step: String) throws {
        switch step {
        case "unpack": try unpack()
        case "config_profile_link": try configProfileLink()
        case "setup_confdir": try resumable("setup_confdir", skipMessage: "setup_confdir", enable: t.settings.contains("portage_confdir")) { try self.setupConfdir() }
        case "process_repos": try processRepos()
        case "chroot_setup": try chrootSetup()
        case "run_local":
            try resumable("run_local", skipMessage: "run_local") {
                self.requested = StageRunner.fixedPackages[self.t.target] ?? []
                _ = try self.emerge.emerge(self.requested, controllerCommand: [self.controllerFile, "run"])
            }
        case "preclean": try resumable("preclean", skipMessage: "preclean") {}
        case "build_packages": try buildPackages()
        case "build_kernel": try buildKernel()
        case "bootloader": try resumable("bootloader", skipMessage: "bootloader") {}
        case "root_overlay": try rootOverlay()
        case "fsscript": try fsscript()
        case "rcupdate":
            try resumable("rcupdate", skipMessage: "rcupdate") {
                try SyntheticRoot.applyRunlevels(root: self.t.stagePath,
                                                 add: self.t.settings["rcadd"]?.words ?? self.t.settings["stage4/rcadd"]?.words ?? [],
                                                 del: self.t.settings["rcdel"]?.words ?? self.t.settings["stage4/rcdel"]?.words ?? [])
            }
        case "unmerge":
            let atoms = t.settings[t.target + "/unmerge"]?.asList
            try resumable("unmerge", skipMessage: "unmerge", enable: atoms != nil) {
                if let atoms { self.emerge.unmerge(atoms) }
            }
        case "remove": try remove()
        case "groups":
            for g in groupsOrUsers("groups", separator: ",") { log.notice("Creating group: '\(g)'") }
        case "users":
            for u in groupsOrUsers("users", separator: nil) { log.notice("Creating user: '\(u)'") }
        case "ssh_public_keys":
            for k in groupsOrUsers("ssh_public_keys", separator: ",") {
                guard let eq = k.firstIndex(of: "=") else {
                    throw SimFailure.catalystError("ssh_public_keys: '=' separator not found on line \(k)")
                }
                log.notice("Copying SSH public key for user: '\(k[..<eq])'")
            }
        case "empty": try empty()
        case "clean": try clean()
        case "capture": try capture()
        case "clear_autoresume": clearAutoresume()
        case "remove_autoresume":
            if autoresumeOn { log.notice("Removing AutoResume ..."); t.autoresume.clearAll(remove: true) }
        case "remove_chroot": removeChroot()
        case "clean_stage1": try cleanStage1()
        case "enter_chroot": log.notice("catalyst-sim: --enter-chroot is not simulated; continuing")
        default: break // unpack_snapshot, portage_overlay, base_dirs, bind, unbind, setup_environment
        }
    }

    /// Runs `body` unless autoresume is on and the point is set; enables the
    /// point afterwards (when `enable`).
    private func resumable(_ point: String, skipMessage: String, enable: Bool = true, _ body: () throws -> Void) throws {
        if autoresumeOn, t.autoresume.isEnabled(point) {
            log.notice("Resume point detected, skipping \(skipMessage) operation...")
            return
        }
        try body()
        if enable { t.autoresume.enable(point) }
    }

    private func unpack() throws {
        let recorded = t.autoresume.get("unpack")
        let source = t.sourcePath
        let mode: String?
        if t.options.contains("seedcache"), t.sourceIsDirectory {
            mode = "rsync"
        } else {
            if t.options.contains("seedcache") {
                log.notice("Referenced SEEDCACHE does not appear to be a directory, trying to untar...")
            }
            mode = CompressionModes.decompressMode(for: source, searchOrder: t.searchOrder)
        }
        if FileOps.isFile(source) {
            let sha = try ContentHasher.digestFile(at: source)
            seedSHA256 = sha.hex
        }
        let hashData = seedSHA256.map { "# SHA256 HASH\n\($0)  \((source as NSString).lastPathComponent)\n" }

        var doUnpack = true
        var invalidChroot = true
        if autoresumeOn {
            if FileOps.isDirectory(t.chrootPath) {
                if t.autoresume.isEnabled("unpack") {
                    doUnpack = false
                    invalidChroot = false
                    log.notice("Resume: \"chroot\" is valid...")
                } else {
                    log.notice("Resume: \"seed source\" unpack resume point is disabled")
                }
            }
            if FileOps.isFile(source), !invalidChroot {
                if hashData?.replacingOccurrences(of: "\n", with: " ") == recorded {
                    log.notice("Resume: \"seed source\" hash matches chroot...")
                } else {
                    doUnpack = true
                    invalidChroot = true
                    log.notice("Resume: \"seed source\" has changed, hashes do not match, invalidating resume...")
                    log.notice("        source_path......: \(source)")
                    log.notice("        new source hash..: \(hashData?.replacingOccurrences(of: "\n", with: " ") ?? "")")
                    log.notice("        recorded hash....: \(recorded ?? "None")")
                }
            }
        } else if !t.options.contains("seedcache"), t.sourceIsDirectory {
            throw SimFailure.catalystError("source path is a dir but seedcache is not enabled: \(source)")
        }

        guard doUnpack else {
            log.notice("Resume: Valid resume point detected, skipping seed unpack operation...")
            seedProvenance = Provenance.read(root: t.chrootPath)
            return
        }
        if invalidChroot {
            if autoresumeOn { log.notice("Resume: Target chroot is invalid, cleaning up...") }
            clearAutoresume()
            log.notice("Clearing the chroot path ...")
            clearDirLogged(t.chrootPath, remove: false)
        }
        try FileOps.ensureDirs(t.chrootPath)
        try FileOps.ensureDirs(t.chrootPath + "/tmp", mode: 0o1777)
        if let p = t.pkgcachePath { try FileOps.ensureDirs(p) }
        if let k = t.kerncachePath { try FileOps.ensureDirs(k) }
        log.notice("Starting \(mode ?? "None") from \(source)\nto \(t.chrootPath) (this may take some time) ..")
        if !extract(mode: mode) {
            log.error("'\(mode ?? "None")' extraction of \(source) to \(t.chrootPath) failed.")
            unpackFailed = true
        }
        seedProvenance = Provenance.read(root: t.chrootPath)
        t.autoresume.enable("unpack", data: hashData)
    }

    /// Seeds up to this size are really unpacked; larger ones (a real
    /// stage3 used with the simulator) are only hashed.
    static let unpackLimit: Int64 = 64 << 20

    private func extract(mode: String?) -> Bool {
        guard let mode else {
            CatalystLog.writeAll("COMPRESS: determine_mode(), failed to find a mode to use for: \(t.sourcePath)\nDecompression Error: No mode was passed in or automatically detected\n", to: 2)
            return false
        }
        if mode == "rsync" {
            return (try? FileOps.copyContents(of: t.sourcePath, into: t.chrootPath)) != nil
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: t.sourcePath)[.size] as? NSNumber)?.int64Value ?? 0
        if size > StageRunner.unpackLimit {
            log.notice("catalyst-sim: seed is larger than 64 MiB; not unpacked (only hashed)")
            try? FileOps.ensureDirs(t.chrootPath + "/etc/portage")
            return true
        }
        guard let r = try? ToolRunner.run(["tar", "-xpf", t.sourcePath, "-C", t.chrootPath]) else { return false }
        if r.status != 0 { CatalystLog.writeAll(r.stderrString, to: 2) }
        return r.status == 0
    }

    private func missingChrootFile(_ path: String) -> SimFailure {
        .python(PythonException("FileNotFoundError", "[Errno 2] No such file or directory: '\(path)'"))
    }

    private func configProfileLink() throws {
        let portConf = t.settings["port_conf"]?.pyStr ?? "/etc/portage"
        if unpackFailed { throw missingChrootFile(FileOps.normpath(t.chrootPath + portConf) + "/make.profile") }
        log.info("Configuring profile link...")
        guard case let .str(profile) = t.settings["profile"] ?? .none else {
            throw SimFailure.python(PythonException("AttributeError", "'\(t.settings["profile"]?.pyTypeName ?? "NoneType")' object has no attribute 'split'"))
        }
        var repo = t.settings["repo_name"]?.pyStr ?? "gentoo"
        var path = profile
        if t.flavor == .four, let colon = profile.firstIndex(of: ":") {
            repo = String(profile[..<colon])
            path = String(profile[profile.index(after: colon)...])
        }
        let basedir = t.settings["repo_basedir"]?.pyStr ?? "/var/db/repos"
        try SyntheticRoot.linkProfile(root: t.chrootPath, portConf: portConf, repoBasedir: basedir, repo: repo, profile: path)
        if t.rootPath != "/" {
            log.info("Configuring ROOT profile link...")
            try SyntheticRoot.linkProfile(root: t.stagePath, portConf: portConf, repoBasedir: basedir, repo: repo, profile: path)
        }
    }

    private func setupConfdir() throws {
        guard let confdir = t.settings["portage_confdir"]?.string else { return }
        let portConf = t.settings["port_conf"]?.pyStr ?? "/etc/portage"
        log.info("Configuring \(portConf)...")
        try FileOps.copyContents(of: confdir, into: FileOps.normpath(t.chrootPath + "/" + portConf))
    }

    private func processRepos() throws {
        guard t.flavor == .four else { return }
        let basedir = t.settings["repo_basedir"]?.pyStr ?? "/var/db/repos"
        let reposConf = t.settings["repos_conf"]?.pyStr ?? "/etc/portage/repos.conf"
        var repos: [(name: String, main: Bool)] = []
        let mainName = t.snapshotRepoName ?? t.settings["repo_name"]?.pyStr ?? "gentoo"
        if FileOps.normpath("\(basedir)/\(mainName)") != "/var/db/repos/gentoo" { repos.append((mainName, true)) }
        for path in t.settings["repos"]?.words ?? [] {
            if let name = try StageTarget.repoName(at: path) { repos.append((name, false)) }
        }
        for (name, main) in repos {
            var text = main ? "[DEFAULT]\nmain-repo = \(name)\n\n" : ""
            text += "[\(name)]\nlocation = \(FileOps.normpath("\(basedir)/\(name)"))\n\n"
            let file = FileOps.normpath("\(t.chrootPath)/\(reposConf)/\(name).conf")
            log.info("Creating repo config \(file).")
            try FileOps.writeFile(file, text)
        }
    }

    private func chrootSetup() throws {
        if unpackFailed { throw missingChrootFile(t.chrootPath + "/etc/") }
        if autoresumeOn, t.autoresume.isEnabled("chroot_setup") {
            log.notice("Resume point detected, skipping chroot_setup operation...")
            return
        }
        log.notice("Setting up chroot...")
        if let envscript = t.settings["envscript"] {
            let path = envscript.pyStr
            if !FileOps.exists(path) { throw SimFailure.catalystError("Can't find envscript \(path)") }
            log.warning("env variables in catalystrc may cause catastrophic failure.\nIf your build fails look here first as the possible problem.")
        }
        try writeMakeConf(setup: true)
        t.autoresume.enable("chroot_setup")
    }

    private func writeMakeConf(setup: Bool) throws {
        let path = FileOps.normpath(t.chrootPath + (t.settings["make_conf"]?.pyStr ?? "/etc/portage/make.conf"))
        log.notice("Writing the stage make.conf to: \(path)")
        try FileOps.writeFile(path, SyntheticRoot.makeConf(settings: t.settings, options: t.options, setup: setup))
        if t.rootPath != "/" {
            let rootConf = FileOps.normpath(t.stagePath + (t.settings["make_conf"]?.pyStr ?? "/etc/portage/make.conf"))
            try FileOps.writeFile(rootConf, SyntheticRoot.makeConf(settings: t.settings, options: t.options, setup: setup))
        }
    }

    private func buildPackages() throws {
        if autoresumeOn, t.autoresume.isEnabled("build_packages") {
            log.notice("Resume point detected, skipping build_packages operation...")
            return
        }
        guard let packages = t.settings[t.target + "/packages"] else { return }
        // A single-word value is passed as one argument, a list as several.
        requested = packages.asList
        _ = try emerge.emerge(requested, controllerCommand: [controllerFile, "build_packages"] + requested)
        t.autoresume.enable("build_packages")
    }

    private func buildKernel() throws {
        if autoresumeOn, t.autoresume.isEnabled("build_kernel") {
            log.notice("Resume point detected, skipping build_kernel operation...")
            return
        }
        guard let names = t.settings["boot/kernel"]?.asList else { return }
        for name in names {
            let base = "boot/kernel/\(name)/"
            let distkernel = t.settings.contains(base + "distkernel")
            var config: String?
            if let c = t.settings[base + "config"] {
                config = c.pyStr
                if !FileOps.exists(c.pyStr) { throw SimFailure.catalystError("Can't find kernel config: \(c.pyStr)") }
            }
            let sources = t.settings[base + "sources"]?.pyStr ?? (distkernel ? "sys-kernel/gentoo-kernel" : "sys-kernel/gentoo-sources")
            let atom = sources.contains("/") ? sources : "sys-kernel/\(sources)"
            _ = try emerge.emerge([atom], controllerCommand: [controllerFile, "kernel", name])
            if let extra = t.settings[base + "packages"]?.asList {
                _ = try emerge.emerge(extra, controllerCommand: [controllerFile, "kernel", name])
            }
            try SyntheticRoot.writeKernel(root: t.stagePath, name: name, config: config)
            if let k = t.kerncachePath {
                try FileOps.writeFile("\(k)/\(name)-kernel-sim.stub", "catalyst-sim kerncache stub for kernel '\(name)'\n")
            }
        }
        t.autoresume.enable("build_kernel")
    }

    private func rootOverlay() throws {
        for dir in t.settings[t.target + "/root_overlay"]?.words ?? [] where FileOps.exists(dir) {
            log.info("Copying root_overlay: \(dir)")
            try FileOps.copyContents(of: dir, into: t.stagePath)
        }
    }

    private func fsscript() throws {
        if autoresumeOn, t.autoresume.isEnabled("fsscript") {
            log.notice("Resume point detected, skipping fsscript operation...")
            return
        }
        guard let script = t.settings["fsscript"] ?? t.settings[t.target + "/fsscript"] else { return }
        // The controller copies the script into the chroot and runs it; the
        // simulator only checks that it exists (it is never executed).
        if !FileOps.isFile(script.pyStr) {
            log.raw("cp: cannot stat '\(script.pyStr)': No such file or directory")
            throw SimFailure.catalystError("cmd(\(PyValue.strings([controllerFile, "fsscript"]).pyRepr)) exited 1")
        }
        t.autoresume.enable("fsscript")
    }

    private func remove() throws {
        if autoresumeOn, t.autoresume.isEnabled("remove") {
            log.notice("Resume point detected, skipping remove operation...")
            return
        }
        guard let paths = t.settings[t.target + "/rm"]?.words else { return }
        for p in paths {
            log.notice("\(t.target): removing \(p)")
            FileOps.clearPath(t.stagePath + p)
        }
        t.autoresume.enable("remove")
    }

    private func groupsOrUsers(_ key: String, separator: Character?) -> [String] {
        guard t.flavor == .four, let v = t.settings[t.target + "/" + key] else { return [] }
        if case let .str(s) = v {
            guard let separator else { return [s] }
            return s.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        }
        return v.asList
    }

    private func empty() throws {
        if autoresumeOn, t.autoresume.isEnabled("empty") {
            log.notice("Resume point detected, skipping empty operation...")
            return
        }
        for dir in t.settings[t.target + "/empty"]?.words ?? [] {
            let path = t.stagePath + dir
            if !FileOps.isDirectory(path) || FileOps.isSymlink(path) {
                log.warning("not a directory or does not exist, skipping \"empty\" operation: \(dir)")
                continue
            }
            log.info("Emptying directory \(dir)")
            clearDirLogged(path, remove: false)
        }
        t.autoresume.enable("empty")
    }

    private func cleanables() -> [String] {
        let portConf = t.settings["port_conf"]?.pyStr ?? "/etc/portage"
        switch t.flavor {
        case .four:
            var c = ["/etc/machine-id", "/etc/resolv.conf", "/var/tmp/*", "/tmp/*"]
            if t.target == "stage1" { c.append(portConf + "/package*") }
            if t.target == "stage4" { c.removeAll { $0 == "/etc/resolv.conf" } }
            return c
        case .three:
            if t.target == "stage4" { return ["/var/tmp/*", "/tmp/*"] }
            let repo = (t.settings["repo_basedir"]?.pyStr ?? "/var/gentoo/repos") + "/" + (t.settings["repo_name"]?.pyStr ?? "gentoo")
            var c = ["/etc/machine-id", "/etc/resolv.conf", "/var/tmp/*", "/tmp/*", repo]
            if t.target == "stage1" { c += ["/usr/share/zoneinfo", portConf + "/package*"] }
            return c
        }
    }

    private func clean() throws {
        if autoresumeOn, t.autoresume.isEnabled("clean") {
            log.notice("Resume point detected, skipping clean operation...")
        } else {
            for c in cleanables() {
                log.notice("Cleaning chroot: \(c)")
                FileOps.clearPath(FileOps.normpath(t.stagePath + c))
            }
        }
        if t.flavor == .four {
            let basedir = t.settings["repo_basedir"]?.pyStr ?? "/var/db/repos"
            let keep = Set(t.settings["keep_repos"]?.words ?? [])
            let reposConf = t.settings["repos_conf"]?.pyStr ?? "/etc/portage/repos.conf"
            var names = [t.snapshotRepoName ?? t.settings["repo_name"]?.pyStr ?? "gentoo"]
            for path in t.settings["repos"]?.words ?? [] { if let n = try? StageTarget.repoName(at: path) { names.append(n) } }
            for name in names where !keep.contains(name) {
                unlink(FileOps.normpath("\(t.chrootPath)/\(reposConf)/\(name).conf"))
                FileOps.clearPath(FileOps.normpath("\(t.chrootPath)/\(basedir)/\(name)"))
            }
        }
        if !t.options.contains("sticky-config") { try writeMakeConf(setup: false) }
        FileOps.clearPath(t.stagePath + "/etc/*-")
        t.autoresume.enable("clean")
    }

    private func capture() throws {
        if autoresumeOn, t.autoresume.isEnabled("capture") {
            log.notice("Resume point detected, skipping capture operation...")
            return
        }
        log.notice("Capture target in a tarball")
        try FileOps.ensureDirs((t.targetPath as NSString).deletingLastPathComponent)
        let mode = t.settings["compression_mode"]?.pyStr ?? "lbzip2"
        let ext = CompressionModes.compressExtension[mode] ?? ""
        let file = t.targetPath + "." + ext
        log.notice("Creating stage tarball... mode: \(mode)")

        try SyntheticRoot.writeOSRelease(root: t.stagePath)
        if knobs.nonReproducible {
            try FileOps.writeFile(t.stagePath + "/etc/catalyst-sim/nonreproducible", UUID().uuidString + "\n")
        }
        let provenance = try Provenance.json(target: t, conf: conf,
                                             inputs: .init(seedSHA256: seedSHA256, seedProvenance: seedProvenance,
                                                           packagesRequested: requested))
        try FileOps.writeFile(t.stagePath + "/etc/catalyst-sim/provenance.json", String(decoding: provenance, as: UTF8.self) + "\n")

        let ok: Bool
        if CompressionModes.compressExtension[mode] == nil {
            CatalystLog.writeAll("mode: \(mode) is not supported in the current Compression definitions loaded\n", to: 2)
            ok = false
        } else if mode == "squashfs" {
            CatalystLog.writeAll("catalyst-sim: compression_mode squashfs is not simulated\n", to: 2)
            ok = false
        } else {
            if knobs.payloadMiB > 0 {
                try StagePayload.write(root: t.stagePath, mib: knobs.payloadMiB, seed: t.buildName)
            }
            if knobs.payloadMiB > 0, ext == "tar.xz" {
                ok = try StageCapture.storedXZTarball(root: t.stagePath, file: file, epoch: knobs.sourceDateEpoch)
            } else {
                ok = try StageCapture.tarball(root: t.stagePath, file: file, mode: mode, epoch: knobs.sourceDateEpoch)
            }
        }
        guard ok else {
            log.warning("Couldn't create stage tarball: \(file)")
            return
        }
        let contentsEnabled = t.flavor == .four || (t.settings["contents"].map { !$0.pyStr.isEmpty } ?? false)
        if contentsEnabled { try StageCapture.contents(tarball: file) }
        if t.settings.contains("digests") {
            try StageCapture.digests(tarball: file, names: conf.digests, flavor: t.flavor)
        }
        t.autoresume.enable("capture")
    }

    private func clearAutoresume() {
        if autoresumeOn {
            log.notice("Removing AutoResume Points ...")
            t.autoresume.clearAll(remove: false)
        }
    }

    private func clearDirLogged(_ path: String, remove: Bool) {
        if FileOps.isDirectory(path) { log.notice("Emptying directory: \(path)") }
        FileOps.clearDir(path, remove: remove)
    }

    private func removeChroot() {
        log.notice("Removing the chroot path ...")
        clearDirLogged(t.chrootPath, remove: true)
    }

    private func cleanStage1() throws {
        log.notice("Salvaging the stage1root from the chroot path ...")
        let tmp = FileOps.normpath(t.storedir + "/tmp/stage1root")
        FileOps.clearDir(tmp, remove: true)
        guard rename(t.stagePath, tmp) == 0 else {
            log.error("clean_stage1 failed to move the stage1root to a temporary loation")
            return
        }
        removeChroot()
        guard rename(tmp, t.chrootPath) == 0 else {
            log.error("clean_stage1 failed, see previous log messages for details")
            return
        }
        log.notice("Successfully moved and cleaned the stage1root for the seedcache")
    }

    private func purge() {
        if t.options.contains("purge") || t.options.contains("purgeonly") || t.options.contains("purgetmponly") {
            log.notice("purge(); clearing autoresume ...")
            clearAutoresume()
            log.notice("purge(); clearing chroot ...")
            log.notice("Clearing the chroot path ...")
            clearDirLogged(t.chrootPath, remove: false)
            if !t.options.contains("purgetmponly") {
                log.notice("purge(); clearing package cache ...")
                if let p = t.pkgcachePath { log.notice("purging the pkgcache ..."); clearDirLogged(p, remove: false) }
            }
            log.notice("purge(); clearing kerncache ...")
            if let k = t.kerncachePath { log.notice("purging the kerncache ..."); clearDirLogged(k, remove: false) }
        }
    }
}
