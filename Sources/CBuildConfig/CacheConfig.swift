import CBuildBasics
import Foundation

/// `[cache]` of cbuild.toml: a shared remote cache of stage builds (an
/// HTTP server speaking bazel-remote's `ac/` + `cas/` layout, or nginx
/// WebDAV), whether this host uploads to it, and how its records are
/// signed and verified (docs/distributed.md). Records are never used
/// unverified, so a cache needs `sign_key` (HMAC) or `trust` (OpenPGP).
public struct CacheConfig: Sendable, Hashable {
    /// How records of this cache are signed and checked.
    public enum SignKeyKind: String, Sendable, Hashable {
        /// A shared secret: HMAC-SHA256 over each record, checked with the same key.
        case hmac
        /// An ASCII-armoured OpenPGP secret key: a detached signature, checked with gpgv against `trust`.
        case openPGP
    }

    /// `http://host:port/prefix` or `https://…`, without a trailing slash.
    public var remote: String
    /// Upload outputs and records after a successful local build.
    public var push: Bool
    /// File holding a bearer token sent as `Authorization: Bearer …`.
    public var tokenFile: String?
    /// File holding the key records are signed with.
    public var signKey: String?
    public var signKeyKind: SignKeyKind?
    /// OpenPGP public key files whose signatures on records are accepted.
    public var trust: [String]
    /// Seconds without progress before a request is given up (the cache then counts as down).
    public var timeout: Int

    public static let defaultTimeout = 30
    /// An HMAC key shorter than this is refused (a guessable key signs nothing).
    public static let minimumHMACKeyBytes = 16

    public init(remote: String, push: Bool = false, tokenFile: String? = nil, signKey: String? = nil,
                signKeyKind: SignKeyKind? = nil, trust: [String] = [], timeout: Int = CacheConfig.defaultTimeout) {
        self.remote = remote; self.push = push; self.tokenFile = tokenFile; self.signKey = signKey
        self.signKeyKind = signKeyKind; self.trust = trust; self.timeout = timeout
    }

    static let allowedKeys = ["remote", "push", "token_file", "sign_key", "trust", "timeout"]

    /// Reads `[cache]`; nil when the table is absent.
    init?(reading table: TableReader?, rules: PathRules) throws {
        guard let r = table else { return nil }
        try r.rejectUnknownKeys(allowed: Self.allowedKeys)
        let remote = try r.requiredString("remote", expected: "the cache's URL, e.g. \"http://cache.lan:8080\"")
        guard Self.isRemoteURL(remote) else {
            throw r.invalid("remote", "'\(remote)' is not a cache URL",
                            hint: "write http://host:port or https://host/path (no query, no '#', no spaces)")
        }
        var trimmed = remote
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let push = try r.boolean("push") ?? false
        let tokenFile = try r.path("token_file", kind: .file, rules: rules)
        let signKey = try r.path("sign_key", kind: .file, rules: rules)
        let trust = try r.paths("trust", kind: .file, rules: rules) ?? []
        var timeout = Self.defaultTimeout
        if let t = try r.integer("timeout") {
            guard t >= 1 else { throw r.invalid("timeout", "\(t) seconds is too short", hint: "use 1 or more seconds") }
            timeout = t
        }
        var kind: SignKeyKind?
        if let signKey {
            let bytes = FileManager.default.contents(atPath: rules.directory.path(signKey)).map { [UInt8]($0) } ?? []
            if CacheConfig.isArmoredSecretKey(bytes) {
                kind = .openPGP
                guard !trust.isEmpty else {
                    throw r.invalid("sign_key", "'\(signKey)' is an OpenPGP key, but no 'trust' keys are listed to check records with",
                                    hint: "add trust = [\"keys/cache-builders.asc\"] with the public keys of every host that pushes")
                }
            } else {
                kind = .hmac
                guard CacheConfig.hmacKey(bytes).count >= Self.minimumHMACKeyBytes else {
                    throw r.invalid("sign_key", "the key in '\(signKey)' is shorter than \(Self.minimumHMACKeyBytes) bytes",
                                    hint: "generate one with: openssl rand -hex 32 > \(signKey)")
                }
            }
        }
        if signKey == nil && trust.isEmpty {
            var at = r.location()
            at.key = r.keyName("sign_key")
            throw ConfigError.missingKey(at, key: r.keyName("sign_key"),
                                         expected: "a key to check cache records with: sign_key (HMAC secret) or trust (OpenPGP public keys); unsigned records are never used")
        }
        if push && signKey == nil {
            throw r.invalid("push", "pushing needs sign_key: every record uploaded is signed",
                            hint: "set sign_key to an HMAC secret file or an armoured OpenPGP secret key")
        }
        self.init(remote: trimmed, push: push, tokenFile: tokenFile, signKey: signKey, signKeyKind: kind,
                  trust: trust, timeout: timeout)
    }

    /// `http(s)://host[:port][/path]`: no query, fragment, spaces or userinfo.
    static func isRemoteURL(_ text: String) -> Bool {
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return false }
        if NameRules.hasSpaceOrComment(text) || text.contains("?") || text.contains("@") { return false }
        guard let url = URL(string: text), let host = url.host, !host.isEmpty else { return false }
        return true
    }

    /// Whether a key file holds an ASCII-armoured OpenPGP secret key.
    public static func isArmoredSecretKey(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes.prefix(4096), as: UTF8.self).contains("-----BEGIN PGP PRIVATE KEY BLOCK-----")
    }

    /// The HMAC key a key file holds: its bytes without trailing whitespace
    /// (so `openssl rand -hex 32 > file` and an editor's final newline agree).
    public static func hmacKey(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        while let last = b.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { b.removeLast() }
        return b
    }
}
