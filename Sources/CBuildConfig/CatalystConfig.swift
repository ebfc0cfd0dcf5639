import CBuildBasics

/// `[catalyst]` of cbuild.toml: which catalyst, how it is run, and the
/// settings the generated catalyst.conf carries (SPEC sections 1 and 4).
public struct CatalystConfig: Sendable, Hashable {
    /// 3 or 4: the catalyst.conf syntax, snapshot kind and spec keys to use.
    public var flavor: Int
    /// The command that runs catalyst, e.g. `["sudo", "catalyst"]`.
    public var command: [String]
    /// catalyst.conf `options`.
    public var options: [String]
    /// catalyst.conf `digests`.
    public var digests: [String]
    /// catalyst.conf `compression_mode`.
    public var compression: String
    /// Concurrent catalyst runs.
    public var jobs: Int
    /// A directory-local template replacing the built-in catalyst.conf template.
    public var confTemplate: String?
    /// A directory-local template replacing the built-in catalystrc template.
    public var envscriptTemplate: String?

    public static let defaultOptions = ["pkgcache", "kerncache", "seedcache"]
    public static let defaultDigests = ["blake2b", "sha512"]
    /// catalyst's own default compression_mode.
    public static let defaultCompression = "lbzip2"

    /// catalyst's `options` words.
    static let knownOptions = ["autoresume", "bindist", "ccache", "clear-autoresume", "distcc", "icecream",
                               "keepwork", "kerncache", "pkgcache", "purge", "purgeonly", "purgetmponly",
                               "seedcache", "snapcache"]
    /// Digest names catalyst accepts (hashlib's, plus the older flavour-3 names).
    static let knownDigests = ["blake2b", "blake2s", "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
                               "sha3_224", "sha3_256", "sha3_384", "sha3_512", "crc32", "ripemd160", "whirlpool",
                               "auto"]
    /// catalyst's compression modes (`_x` keeps extended attributes).
    static let knownCompressions: [String] = {
        let base = ["lbzip2", "bzip2", "gzip", "xz", "pixz", "zstd", "tar"]
        return base + base.map { $0 + "_x" } + ["squashfs", "rsync"]
    }()

    public init(flavor: Int = 4, command: [String] = ["catalyst"], options: [String] = CatalystConfig.defaultOptions,
                digests: [String] = CatalystConfig.defaultDigests, compression: String = CatalystConfig.defaultCompression,
                jobs: Int = 1, confTemplate: String? = nil, envscriptTemplate: String? = nil) {
        self.flavor = flavor
        self.command = command
        self.options = options
        self.digests = digests
        self.compression = compression
        self.jobs = jobs
        self.confTemplate = confTemplate
        self.envscriptTemplate = envscriptTemplate
    }

    static let allowedKeys = ["flavor", "command", "options", "digests", "compression", "jobs",
                              "conf_template", "envscript_template"]

    /// Reads `[catalyst]`; an absent table gives the defaults.
    init(reading table: TableReader?, rules: PathRules) throws {
        self.init()
        guard let r = table else { return }
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        if let flavor = try r.integer("flavor") {
            guard flavor == 3 || flavor == 4 else {
                throw r.invalid("flavor", "\(flavor) is not a catalyst flavour", hint: "use 3 or 4")
            }
            self.flavor = flavor
        }
        if let command = try r.strings("command") {
            guard !command.isEmpty, command.allSatisfy({ !$0.isEmpty }) else {
                throw r.invalid("command", "the command must be a non-empty list of non-empty words",
                                hint: "e.g. [\"catalyst\"] or [\"sudo\", \"catalyst\"]")
            }
            self.command = command
        }
        if let options = try r.strings("options") {
            try Self.checkWords(options, known: Self.knownOptions, key: "options", reader: r)
            self.options = options
        }
        if let digests = try r.strings("digests") {
            try Self.checkWords(digests, known: Self.knownDigests, key: "digests", reader: r)
            self.digests = digests
        }
        if let compression = try r.string("compression") {
            guard Self.knownCompressions.contains(compression) else {
                throw r.invalid("compression", "'\(compression)' is not a catalyst compression mode",
                                hint: Suggest.didYouMean(compression, among: Self.knownCompressions)
                                    ?? "one of: " + Self.knownCompressions.joined(separator: ", "))
            }
            self.compression = compression
        }
        if let jobs = try r.integer("jobs") {
            guard jobs >= 1 else { throw r.invalid("jobs", "\(jobs) is not a number of jobs", hint: "use 1 or more") }
            self.jobs = jobs
        }
        confTemplate = try r.path("conf_template", kind: .file, rules: rules)
        envscriptTemplate = try r.path("envscript_template", kind: .file, rules: rules)
    }

    private static func checkWords(_ words: [String], known: [String], key: String, reader r: TableReader) throws {
        var seen = Set<String>()
        for (index, word) in words.enumerated() {
            guard known.contains(word) else {
                throw r.invalid(key, index: index, "'\(word)' is not a catalyst \(key) value",
                                hint: Suggest.didYouMean(word, among: known) ?? "one of: " + known.joined(separator: ", "))
            }
            guard seen.insert(word).inserted else { throw r.invalid(key, index: index, "'\(word)' is listed twice") }
        }
    }
}
