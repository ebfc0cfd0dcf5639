import CBuildBasics
import Foundation

/// A stage target after catalyst's constructor ran (`StageBase.__init__` in
/// catalyst/base/stagebase.py): the spec validated against the target's
/// keys, the settings (catalyst.conf overlaid by the spec), every path
/// computed, the seed and snapshot found, distdir and portage_confdir
/// checked. The checks run in catalyst's order, so the first error a user
/// sees is the one catalyst would print. A `SimFailure.catalystError` from
/// here ends the run with exit 2, as catalyst's `build_target()` turns it
/// into a failed build.
struct StageTarget {
    let flavor: Flavor
    let target: String
    /// The spec's values exactly as parsed.
    let spec: PyDict
    /// catalyst.conf overlaid by the spec (`addl_arg_parse` copies spec keys over).
    var settings: PyDict
    let options: Set<String>
    let storedir: String
    let relType: String
    let subarch: String
    let versionStamp: String
    /// `<rel_type>/<target>-<subarch>-<version_stamp>`: names the output, the
    /// chroot and the fail knob's match.
    let buildName: String
    let chrootPath: String
    /// `/` except stage1, which builds into `/tmp/stage1root` inside the seed.
    let rootPath: String
    let stagePath: String
    /// `storedir/builds/<buildName>` — the tarball is this plus `.<ext>`.
    let targetPath: String
    let sourcePath: String
    let sourceIsDirectory: Bool
    let snapshotPath: String
    /// The repository name read from the snapshot (profiles/repo_name), when readable.
    let snapshotRepoName: String?
    let searchOrder: [String]
    let autoresume: AutoResume
    let pkgcachePath: String?
    let kerncachePath: String?

    /// Resolves `target:` to a catalyst target module (`build_target()` in
    /// catalyst/main.py). Errors here are not caught by catalyst: exit 1.
    static func targetName(spec: PyDict, flavor: Flavor) throws -> String {
        guard let value = spec["target"] else {
            throw SimFailure.catalystError("Required value \"target\" not specified.")
        }
        guard case let .str(name) = value else {
            throw SimFailure.catalystError("Target \"\(value.pyStr)\" not available.")
        }
        let module = name.replacingOccurrences(of: "-", with: "_")
        let known = flavor == .four ? TargetRules.catalystTargets4 : TargetRules.catalystTargets3
        guard known.contains(module) else {
            throw SimFailure.critical("Python module import error: \(module)")
        }
        guard TargetRules.simulatedTargets.contains(module) else {
            throw SimFailure.notSimulated("target '\(name)' is a catalyst target the simulator does not model (only stage1–stage4)")
        }
        return module
    }

    private static func string(_ settings: PyDict, _ key: String) throws -> String {
        let v = settings[key] ?? .none
        guard case let .str(s) = v else {
            throw SimFailure.python(PythonException("TypeError", "can only concatenate str (not \"\(v.pyTypeName)\") to str"))
        }
        return s
    }

    init(flavor: Flavor, target: String, conf: CatalystConfig, spec: PyDict, log: CatalystLog) throws {
        self.flavor = flavor
        self.target = target
        self.spec = spec
        let rules = TargetRules(target: target, flavor: flavor, spec: spec)
        if let message = rules.check(spec) { throw SimFailure.catalystError(message) }

        var settings = conf.values
        for (k, v) in spec.entries { settings[k] = v }
        let options = Set(conf.options)
        self.options = options
        let storedir = settings["storedir"]?.pyStr ?? "/var/tmp/catalyst"
        self.storedir = storedir

        // Architecture lookup.
        let subarchValue = settings["subarch"] ?? .none
        guard case let .str(host) = subarchValue else {
            throw SimFailure.python(PythonException("TypeError", "unhashable type: '\(subarchValue.pyTypeName)'"))
        }
        if !KnownSubarches.all.contains(host) {
            if flavor == .four { throw SimFailure.catalystError("Unknown host machine type \(host)") }
            throw SimFailure.critical("Invalid subarch: \(host)\nChoose one of the following:\n \(KnownSubarches.all.sorted().joined(separator: " "))")
        }
        log.notice("Using target: \(settings["target"]!.pyStr)")

        // Decompressors and the extensions they accept.
        let order = settings["decompressor_search_order"]?.words ?? CompressionModes.defaultSearchOrder
        for mode in order where CompressionModes.decompressExtensions[mode] == nil {
            throw SimFailure.python(PythonException("KeyError", PyString.repr(mode)))
        }
        searchOrder = order
        let accepted = CompressionModes.acceptedExtensions(searchOrder: order)
        if flavor == .three {
            log.notice("Source file specification matching setting is: \(settings["source_matching"]?.pyStr ?? "strict")")
        }
        log.notice("Accepted source file extensions search order: \(PyValue.strings(accepted).pyRepr)")

        // Names and paths.
        let relType = try StageTarget.string(settings, "rel_type")
        let targetValue = try StageTarget.string(settings, "target")
        let subarch = try StageTarget.string(settings, "subarch")
        let versionStamp = try StageTarget.string(settings, "version_stamp")
        self.relType = relType
        self.subarch = subarch
        self.versionStamp = versionStamp
        let common = relType + "/" + targetValue + "-" + subarch
        let targetSubpath = common + "-" + versionStamp + "/"
        buildName = common + "-" + versionStamp
        guard case let .str(sourceSubpath) = settings["source_subpath"] ?? .none else {
            throw SimFailure.catalystError("source_subpath should have been a string. Perhaps you have something wrong in your spec file?")
        }

        // Snapshot (catalyst 4: a path only, checked later; catalyst 3: found now).
        var snapshotPath: String
        switch flavor {
        case .four:
            try FileOps.ensureDirs(storedir + "/snapshots")
            let repoName = settings["repo_name"]?.pyStr ?? "gentoo"
            snapshotPath = storedir + "/snapshots/" + repoName + "-" + (settings["snapshot_treeish"]?.pyStr ?? "None") + ".sqfs"
        case .three:
            let snapshot = try StageTarget.string(settings, "snapshot")
            let name = settings["snapshot_name"]?.pyStr ?? "portage-"
            // stagebase.py compares source_matching with `is "strict"`, which
            // is never true for the (re-formatted) configuration string: loose.
            snapshotPath = try FileCheck.check(FileOps.normpath(storedir + "/snapshots/" + name + snapshot),
                                               extensions: accepted, strict: false, flavor: flavor)
            log.info("SNAPSHOT_PATH set to: \(snapshotPath)")
        }

        // Seed.
        let seedcacheDir = FileOps.normpath(storedir + "/tmp/" + sourceSubpath + "/")
        if options.contains("seedcache"), FileOps.isDirectory(seedcacheDir) {
            sourcePath = seedcacheDir
            sourceIsDirectory = true
        } else {
            let strict = flavor == .four || (settings["source_matching"]?.pyStr ?? "strict") == "strict"
            sourcePath = try FileCheck.check(FileOps.normpath(storedir + "/builds/" + sourceSubpath),
                                             extensions: accepted, strict: strict, flavor: flavor)
            sourceIsDirectory = FileOps.isDirectory(sourcePath)
        }
        log.notice("Source path set to \(sourcePath)")

        chrootPath = FileOps.normpath(storedir + "/tmp/" + String(targetSubpath.dropLast()))
        let autoresumePath = FileOps.normpath(storedir + "/tmp/" + relType + "/.autoresume-\(targetValue)-\(subarch)-\(versionStamp)")
        if options.contains("autoresume") { log.info("The autoresume path is \(autoresumePath)") }
        autoresume = try AutoResume(directory: autoresumePath)
        rootPath = target == "stage1" ? "/tmp/stage1root" : "/"
        stagePath = FileOps.normpath(chrootPath + rootPath)
        targetPath = String(FileOps.normpath(storedir + "/builds/" + targetSubpath).dropLast())
        if options.contains("autoresume"), autoresume.isEnabled("setup_target_path") {
            log.notice("Resume point detected, skipping target path setup operation...")
        } else {
            autoresume.enable("setup_target_path")
            try FileOps.ensureDirs(storedir + "/builds")
        }

        // Repositories (catalyst 4 reads the name out of the squashfs).
        var repoName: String?
        if flavor == .four {
            repoName = try StageTarget.repoName(at: snapshotPath)
            if let repos = settings["repos"] {
                log.info("repos are set to: \(repos.words.joined(separator: " "))")
                for repo in repos.words { _ = try StageTarget.repoName(at: repo) }
            }
        }
        self.snapshotPath = snapshotPath
        snapshotRepoName = repoName

        try StageTarget.fileLocate(settings, "distdir", flavor: flavor)
        if settings.contains("portage_confdir") { try StageTarget.fileLocate(settings, "portage_confdir", flavor: flavor) }

        let unversioned = common + "/"
        if options.contains("pkgcache") {
            if case let .str(p) = settings["pkgcache_path"] ?? .none { pkgcachePath = FileOps.normpath(p) }
            else { pkgcachePath = FileOps.normpath(storedir + "/packages/" + unversioned) }
            log.info("Location of the package cache is \(pkgcachePath!)")
        } else {
            pkgcachePath = nil
        }
        if options.contains("kerncache") {
            if case let .str(p) = settings["kerncache_path"] ?? .none { kerncachePath = FileOps.normpath(p) }
            else { kerncachePath = FileOps.normpath(storedir + "/kerncache/" + unversioned) }
            log.info("Location of the kerncache is \(kerncachePath!)")
        } else {
            kerncachePath = nil
        }
        self.settings = settings
    }

    /// `get_repo_name()` (support.py): a directory's profiles/repo_name, or
    /// the name inside a squashfs image (catalyst loop-mounts it; the
    /// simulator checks the squashfs magic and reads the file with
    /// unsquashfs when that tool is installed).
    static func repoName(at path: String) throws -> String? {
        if FileOps.isDirectory(path) {
            if let name = readRepoName(dir: path) { return name }
            throw SimFailure.catalystError("Missing name in repository \(path)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SimFailure.catalystError("Couldn't mount: \(path), [Errno 2] No such file or directory")
        }
        let magic = handle.readData(ofLength: 4)
        try? handle.close()
        guard magic == Data("hsqs".utf8) else {
            throw SimFailure.catalystError("Couldn't mount: \(path), mount: wrong fs type, bad option, bad superblock (not a squashfs image)")
        }
        guard Executables.find("unsquashfs") != nil,
              let r = try? ToolRunner.run(["unsquashfs", "-cat", path, "profiles/repo_name"]), r.status == 0 else {
            return nil
        }
        let name = PyString.strip(r.stdoutString.split(separator: "\n").first.map(String.init) ?? "")
        if name.isEmpty { throw SimFailure.catalystError("Missing name in repository \(path)") }
        return name
    }

    private static func readRepoName(dir: String) -> String? {
        if let d = FileManager.default.contents(atPath: dir + "/profiles/repo_name") {
            let name = PyString.strip(String(decoding: d, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "")
            if !name.isEmpty { return name }
        }
        if let d = FileManager.default.contents(atPath: dir + "/metadata/layout.conf") {
            for line in String(decoding: d, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map { PyString.strip(String($0)) }
                if parts.count == 2, parts[0] == "repo-name", !parts[1].isEmpty { return parts[1] }
            }
        }
        return nil
    }

    /// `file_locate(settings, [key], expand=0)` (support.py).
    static func fileLocate(_ settings: PyDict, _ key: String, flavor: Flavor) throws {
        guard let value = settings[key] else { return }
        guard value.isTruthy else {
            if case .none = value, flavor == .three {
                throw SimFailure.python(PythonException("TypeError", "object of type 'NoneType' has no len()"))
            }
            throw SimFailure.catalystError("File variable \"\(key)\" has a length of zero (not specified.)")
        }
        guard case let .str(path) = value else {
            throw SimFailure.python(PythonException("TypeError", "can only concatenate str (not \"\(value.pyTypeName)\") to str"))
        }
        if path.hasPrefix("/") {
            if !FileOps.exists(path) { throw SimFailure.catalystError("Cannot locate specified \(key): \(path)") }
            return
        }
        throw SimFailure.catalystError("Cannot locate specified \(key): \(path) (2nd try)\n(catalyst follows this with its spec-file format help; relative paths are never accepted here)")
    }
}
