import CBuildBasics
import Foundation

/// `[snapshots]` of cbuild.toml: where dated portage snapshots come from and
/// the keys that verify them (SPEC section 6).
public struct SnapshotsConfig: Sendable, Hashable {
    /// Mirror roots tried in order: `file:///…`, `https://…` (`http://` only with `allowHTTP`).
    public var mirrors: [String]
    /// OpenPGP public key files, relative to the build directory.
    public var keyring: [String]
    /// True when `keyring` was not written and is every `keys/*.asc` file.
    public var keyringIsDefault: Bool
    /// Without `--date`, try today-1 … today-N.
    public var maxAgeDays: Int
    public var allowHTTP: Bool

    public static let defaultMirrors = ["https://distfiles.gentoo.org"]
    public static let defaultMaxAgeDays = 3

    public init(mirrors: [String] = SnapshotsConfig.defaultMirrors, keyring: [String] = [],
                keyringIsDefault: Bool = true, maxAgeDays: Int = SnapshotsConfig.defaultMaxAgeDays,
                allowHTTP: Bool = false) {
        self.mirrors = mirrors
        self.keyring = keyring
        self.keyringIsDefault = keyringIsDefault
        self.maxAgeDays = maxAgeDays
        self.allowHTTP = allowHTTP
    }

    static let allowedKeys = ["mirrors", "keyring", "max_age_days", "allow_http"]

    /// Reads `[snapshots]`; an absent table gives the defaults.
    init(reading table: TableReader?, rules: PathRules) throws {
        self.init()
        keyring = Self.defaultKeyring(in: rules.directory)
        guard let r = table else { return }
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        allowHTTP = try r.boolean("allow_http") ?? false
        if let mirrors = try Self.mirrors(r, key: "mirrors", allowHTTP: allowHTTP) { self.mirrors = mirrors }
        if let keyring = try r.paths("keyring", kind: .file, rules: rules) {
            self.keyring = keyring
            keyringIsDefault = false
        }
        if let days = try r.integer("max_age_days") {
            guard days >= 1 else {
                throw r.invalid("max_age_days", "\(days) days is too few", hint: "use 1 or more (1 means yesterday only)")
            }
            maxAgeDays = days
        }
    }

    /// Every `keys/*.asc` file, sorted: the keyring when none is written.
    static func defaultKeyring(in directory: BuildDirectory) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path("keys"))) ?? []
        return names.filter { $0.hasSuffix(".asc") && !$0.hasPrefix(".") }.sorted().map { "keys/" + $0 }
            .filter { PathSafety.violation($0, under: directory.root) == nil }
    }

    /// A mirror list: non-empty, each `file:///…` or `https://…` (or `http://…` when allowed).
    static func mirrors(_ r: TableReader, key: String, allowHTTP: Bool) throws -> [String]? {
        guard let mirrors = try r.strings(key) else { return nil }
        guard !mirrors.isEmpty else { throw r.invalid(key, "the list of mirrors is empty") }
        for (index, mirror) in mirrors.enumerated() {
            if mirror.hasPrefix("http://") {
                if !allowHTTP {
                    throw r.invalid(key, index: index, "plain http mirror '\(mirror)' is not allowed",
                                    hint: "use https://, or set allow_http = true in [snapshots]")
                }
            } else if !(mirror.hasPrefix("https://") && mirror.count > 8) && !mirror.hasPrefix("file:///") {
                throw r.invalid(key, index: index, "'\(mirror)' is not a mirror URL",
                                hint: "write file:///absolute/path or https://host/path")
            }
            if NameRules.hasSpaceOrComment(mirror) {
                throw r.invalid(key, index: index, "'\(mirror)' contains a space or '#'")
            }
        }
        return mirrors
    }
}
