import Foundation

/// catalyst.conf as catalyst reads it (`parse_config()` in catalyst/main.py),
/// merged over catalyst's defaults (catalyst/defaults.py).
///
/// Catalyst 4: TOML; any key outside `valid_config_file_values` is
/// "Unknown option" (CRITICAL, exit 1); `options` must be present and a list
/// (4.1.1 calls `.extend()` on it — the default is a set and crashes);
/// `digests` must be a list of hashlib names.
/// Catalyst 3: `key="value"` lines (the spec parser with `=`); keys outside
/// its defaults are silently ignored, and so is `key = "value"` (the key
/// keeps its trailing space); `options` and `digests` are space-separated
/// strings; CONTENTS.gz is written only when `contents` is set.
/// Both: string values are `%`-formatted against the whole configuration.
struct CatalystConfig: Sendable {
    var values: PyDict
    /// `conf_values["options"]` after the command line's options were added.
    var options: [String]

    static let valid4: Set<String> = [
        "binhost", "compression_mode", "digests", "digest_format", "distcc_hosts", "distdir",
        "envscript", "jobs", "load-average", "options", "port_logdir", "repo_basedir",
        "repo_openpgp_key_path", "repo_name", "repos_storedir", "sharedir", "storedir",
        "target_distdir", "target_logdir", "target_pkgdir", "var_tmpfs_portage",
    ]

    /// Catalyst 3's `valid_config_file_values`: also accepted as spec keys.
    static let valid3: [String] = [
        "storedir", "sharedir", "distdir", "portdir", "distcc", "envscript", "options", "DEBUG", "VERBOSE",
        "snapshot_cache", "hash_function", "digests", "contents", "compressor_arch", "compression_mode",
        "compressor_options", "decompressor_search_order",
    ]

    /// Python's `hashlib.algorithms_available` on a typical catalyst host.
    static let hashlibAlgorithms: Set<String> = [
        "blake2b", "blake2s", "md5", "md5-sha1", "ripemd160", "sha1", "sha224", "sha256", "sha384",
        "sha3_224", "sha3_256", "sha3_384", "sha3_512", "sha512", "sha512_224", "sha512_256",
        "shake_128", "shake_256", "sm3",
    ]

    /// Catalyst 3's HASH_DEFINITIONS names (catalyst/hash_utils.py).
    static let hashDefinitions3: [String] = [
        "adler32", "blake2", "crc32", "crc32b", "gost", "haval128", "haval160", "haval192", "haval224",
        "haval256", "md2", "md4", "md5", "ripemd128", "ripemd160", "ripemd256", "ripemd320", "sha1",
        "sha224", "sha256", "sha384", "sha512", "snefru128", "snefru256", "tiger", "tiger128", "tiger160",
        "whirlpool",
    ]

    /// The digests the simulator can compute, by flavour's naming.
    static func simulatedDigests(_ flavor: Flavor) -> Set<String> {
        flavor == .four ? ["blake2b", "md5", "sha256", "sha512"] : ["blake2", "md5", "sha256", "sha512"]
    }

    private static let optionMessages: [String: String] = [
        "autoresume": "Autoresuming support enabled.",
        "ccache": "Compiler cache support enabled.",
        "clear-autoresume": "Cleaning autoresume flags support enabled.",
        "distcc": "Distcc support enabled.",
        "icecream": "Icecream compiler cluster support enabled.",
        "kerncache": "Kernel cache support enabled.",
        "pkgcache": "Package cache support enabled.",
        "purge": "Purge support enabled.",
        "seedcache": "Seed cache support enabled.",
        "snapcache": "Snapshot cache support enabled.",
    ]

    /// Catalyst's built-in settings (catalyst/defaults.py's confdefaults)
    /// before catalyst.conf is read: what both versions share, then each
    /// flavour's own.
    static func defaults(_ flavor: Flavor) -> PyDict {
        var d = PyDict()
        d["comp_prog"] = .str("-I")
        d["compression_mode"] = .str("lbzip2")
        d["compressor_arch"] = PyValue.none
        d["compressor_options"] = .str("--xattrs --xattrs-include=security.capability --xattrs-include=user.pax.flags")
        d["decomp_opt"] = .str("-I")
        d["decompressor_search_order"] = .strings(CompressionModes.defaultSearchOrder)
        d["icecream"] = .str("/var/cache/icecream")
        d["list_xattrs_opt"] = .str("--xattrs")
        d["port_conf"] = .str("/etc/portage")
        d["make_conf"] = .str("%(port_conf)s/make.conf")
        d["port_tmpdir"] = .str("/var/tmp/portage")
        d["repo_name"] = .str("gentoo")
        d["sharedir"] = .str("/usr/share/catalyst")
        d["storedir"] = .str("/var/tmp/catalyst")
        switch flavor {
        case .four:
            d["binhost"] = .str("")
            d["digest_format"] = .str("linux")
            d["distdir"] = .str("/var/cache/distfiles")
            d["binrepos_conf"] = .str("%(port_conf)s/binrepos.conf")
            d["repos_conf"] = .str("%(port_conf)s/repos.conf")
            d["pkgdir"] = .str("/var/cache/binpkgs")
            d["repo_basedir"] = .str("/var/db/repos")
            d["repo_openpgp_key_path"] = .str("/usr/share/openpgp-keys/gentoo-release.asc")
            d["repos_storedir"] = .str("%(storedir)s/repos")
            d["shdir"] = .str("%(sharedir)s/targets")
            d["target_distdir"] = .str("/var/cache/distfiles")
            d["target_logdir"] = .str("/var/log/portage")
            d["target_pkgdir"] = .str("/var/cache/binpkgs")
        case .three:
            d["archdir"] = .str("%(PythonDir)s/arch")
            d["distdir"] = .str("/var/gentoo/distfiles")
            d["hash_function"] = .str("crc32")
            d["local_overlay"] = .str("/var/gentoo/repos/local")
            d["options"] = .list([])
            d["packagedir"] = .str("/var/gentoo/packages")
            d["portdir"] = .str("/var/gentoo/repos/gentoo")
            d["PythonDir"] = .str("/usr/lib/python3/site-packages/catalyst")
            d["repo_basedir"] = .str("/var/gentoo/repos")
            d["sed"] = .str("sed")
            d["shdir"] = .str("/usr/share/catalyst/targets/")
            d["snapshot_cache"] = .str("/var/tmp/catalyst/snapshot_cache")
            d["snapshot_name"] = .str("%(repo_name)s-")
            d["source_matching"] = .str("strict")
            d["target_distdir"] = .str("/var/gentoo/distfiles")
            d["target_pkgdir"] = .str("/var/gentoo/packages")
        }
        return d
    }

    /// Loads the files, adds the command line's options, validates digests.
    static func load(flavor: Flavor, files: [String], cliOptions: [String], log: CatalystLog) throws -> CatalystConfig {
        switch flavor {
        case .four: return try load4(files: files, cliOptions: cliOptions, log: log)
        case .three: return try load3(files: files, cliOptions: cliOptions, log: log)
        }
    }

    private static func readText(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDir), isDir.boolValue {
                throw SimFailure.critical("Could not find parse configuration file: \(file): [Errno 21] Is a directory: '\(file)'")
            }
            throw SimFailure.critical("Could not find parse configuration file: \(file): [Errno 2] No such file or directory: '\(file)'")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func load4(files: [String], cliOptions: [String], log: CatalystLog) throws -> CatalystConfig {
        var conf = defaults(.four)
        var optionsFromConf = false
        for file in files {
            log.notice("Loading configuration file: \(file)")
            let text = try readText(file)
            let parsed: PyDict
            do {
                parsed = try TOMLConfParser.parse(text)
            } catch let e as TOMLConfParser.ParseError {
                throw SimFailure.critical("Could not find parse configuration file: \(file): \(e)")
            }
            for key in parsed.keys where !valid4.contains(key) {
                throw SimFailure.critical("Unknown option '\(key)' in config file \(file)")
            }
            for (k, v) in parsed.entries {
                conf[k] = v
                if k == "options" { optionsFromConf = true }
            }
        }
        for opt in optionIterationOrder(conf["options"]) {
            if let m = optionMessages[opt] { log.info(m) }
        }
        if conf.contains("envscript") { log.info("Envscript support enabled.") }
        try substitute(&conf)

        // conf_values["options"].extend(options): only a list has extend().
        guard optionsFromConf, case let .list(items) = conf["options"]! else {
            let type = optionsFromConf ? conf["options"]!.pyTypeName : "set"
            throw SimFailure.python(PythonException("AttributeError", "'\(type)' object has no attribute 'extend'"))
        }
        var options = items.map(\.pyStr)
        options += cliOptions
        conf["options"] = .strings(options)
        log.notice("conf_values[options] = \(PyValue.strings(options).pyRepr)")

        if let digests = conf["digests"] {
            let names: [String]
            switch digests {
            case let .list(items): names = items.map(\.pyStr)
            case let .str(s): names = s.map(String.init)
            default: names = [digests.pyStr]
            }
            let invalid = Set(names).subtracting(hashlibAlgorithms)
            if !invalid.isEmpty {
                throw SimFailure.catalystError("These are not valid digest entries:\n\(invalid.sorted().joined(separator: ", "))\nValid digest entries:\n\(hashlibAlgorithms.sorted().joined(separator: ", "))")
            }
            var ordered: [String] = []
            for n in names where !ordered.contains(n) { ordered.append(n) }
            if let missing = ordered.first(where: { !simulatedDigests(.four).contains($0) }) {
                throw SimFailure.notSimulated("digest '\(missing)' is valid for catalyst but not simulated (simulated: blake2b, md5, sha256, sha512)")
            }
            conf["digests"] = .strings(ordered)
        }
        return CatalystConfig(values: conf, options: options)
    }

    private static func load3(files: [String], cliOptions: [String], log: CatalystLog) throws -> CatalystConfig {
        var myconf = PyDict()
        for file in files {
            log.notice("Loading configuration file: \(file)")
            let text = try readText(file)
            do {
                let result = try SpecParser.config3.parse(text)
                for (k, v) in result.values.entries { myconf[k] = v }
            } catch let e as SpecParser.SyntaxError {
                log.logWithTraceback(.error, "CatalystError: Syntax error: \(e.lineIndex)", exception: "NoneType: None")
                throw SimFailure.critical("Could not find parse configuration file: \(file): Syntax error: \(e.lineIndex)")
            } catch let e as PythonException {
                throw SimFailure.critical("Could not find parse configuration file: \(file): \(e.message)")
            }
        }
        var conf = PyDict()
        for (key, def) in defaults(.three).entries {
            guard let v = myconf[key] else { conf[key] = def; continue }
            if key == "options" || key == "decompressor_search_order" {
                guard case let .str(s) = v else {
                    throw SimFailure.python(PythonException("AttributeError", "'\(v.pyTypeName)' object has no attribute 'split'"))
                }
                var words = PyString.split(s)
                if key == "options" { words = Array(Set(words)).sorted() }
                conf[key] = .strings(words)
            } else {
                conf[key] = v
            }
        }
        for key in ["digests", "envscript", "var_tmpfs_portage", "port_logdir", "local_overlay"] {
            if let v = myconf[key] { conf[key] = v }
        }
        if let contents = myconf["contents"] {
            conf["contents"] = .str(contents.pyStr.replacingOccurrences(of: "-", with: "_"))
        }
        for opt in optionIterationOrder(conf["options"]) {
            if let m = optionMessages[opt] { log.info(m) }
        }
        if myconf.contains("envscript") { log.info("Envscript support enabled.") }
        try substitute(&conf)

        let options = Array(Set(conf["options"]!.words + cliOptions)).sorted()
        conf["options"] = .strings(options)
        let setRepr = options.isEmpty ? "set()" : "{" + options.map(PyString.repr).joined(separator: ", ") + "}"
        log.notice("conf_values[options] = \(setRepr)")

        if let digestsValue = conf["digests"] {
            guard case let .str(s) = digestsValue else {
                throw SimFailure.python(PythonException("AttributeError", "'\(digestsValue.pyTypeName)' object has no attribute 'split'"))
            }
            var digests = Set(PyString.split(s))
            let valid = Set(hashDefinitions3)
            var skipMissing = false
            if digests.contains("auto") {
                skipMissing = true
                digests.remove("auto")
                if digests.isEmpty { digests = valid }
            }
            let invalid = digests.subtracting(valid)
            if !invalid.isEmpty {
                throw SimFailure.critical("These are not valid digest entries:\n\(invalid.sorted().joined(separator: ", "))\nValid digest entries:\n\(hashDefinitions3.sorted().joined(separator: ", "))")
            }
            for d in digests.sorted() where !simulatedDigests(.three).contains(d) {
                if skipMissing { digests.remove(d); continue }
                throw SimFailure.notSimulated("digest '\(d)' is valid for catalyst 3 but not simulated (simulated: blake2, md5, sha256, sha512)")
            }
            conf["digests"] = .str(digests.sorted().joined(separator: " "))
        }
        if let hf = conf["hash_function"]?.pyStr, !hashDefinitions3.contains(hf) {
            throw SimFailure.critical("\(hf) is not a valid hash_function entry\nValid hash_function entries:\n\(hashDefinitions3.joined(separator: ", "))")
        }
        return CatalystConfig(values: conf, options: options)
    }

    /// `for x in list(conf_values): conf_values[x] = conf_values[x] % conf_values`
    /// — in order, each substitution seeing the earlier ones' results.
    private static func substitute(_ conf: inout PyDict) throws {
        for key in conf.keys {
            guard case let .str(s) = conf[key]! else { continue }
            do {
                conf[key] = .str(try PythonPercentFormat.format(s, mapping: conf, unkeyedArgumentRepr: "{…conf_values…}"))
            } catch let e as PythonException {
                throw SimFailure.python(e)
            }
        }
    }

    private static func optionIterationOrder(_ v: PyValue?) -> [String] {
        guard let v else { return [] }
        if case let .str(s) = v { return s.map(String.init) }
        return v.words
    }

    /// The digests to write into `.DIGESTS`, in the simulator's order
    /// (catalyst 4 keeps them in a Python set, whose order varies per run;
    /// the simulator keeps catalyst.conf's order. Catalyst 3 sorts them).
    var digests: [String] {
        guard let d = values["digests"] else { return [] }
        return d.words
    }
}
