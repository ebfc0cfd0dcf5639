import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildConfig

/// `[cache]`: read with its defaults, every key checked like any other
/// table, and a cache without a way to check records refused.
@Suite struct CacheConfigTests {
    static let hmacKey = "9f1c2e3d4b5a69788796a5b4c3d2e1f0\n"

    func directory(_ cache: String, files: [String: String] = ["secrets/cache.key": hmacKey]) throws -> TemporaryDirectory {
        let dir = try fixture(["cbuild.toml": ConfigFixtures.cbuildToml + "\n[cache]\n" + cache])
        for (path, text) in files { try dir.write(path, text) }
        return dir
    }

    @Test func noTableMeansNoCache() throws {
        let dir = try fixture(); defer { dir.remove() }
        #expect(try BuildConfiguration.load(BuildDirectory(root: dir.path)).project.cache == nil)
    }

    @Test func anHMACCacheWithDefaults() throws {
        let dir = try directory("""
            remote = "http://cache.lan:8080/"
            sign_key = "secrets/cache.key"
            """); defer { dir.remove() }
        let cache = try #require(try BuildConfiguration.load(BuildDirectory(root: dir.path)).project.cache)
        #expect(cache == CacheConfig(remote: "http://cache.lan:8080", push: false, tokenFile: nil, signKey: "secrets/cache.key",
                                     signKeyKind: .hmac, trust: [], timeout: 30))
    }

    @Test func everyKeySet() throws {
        let dir = try directory("""
            remote = "https://cache.example.org/cbuild"
            push = true
            token_file = "secrets/token"
            sign_key = "secrets/builder.sec.asc"
            trust = ["keys/builders.asc"]
            timeout = 5
            """, files: ["secrets/token": "t0ken\n", "keys/builders.asc": "pub",
                         "secrets/builder.sec.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n"])
        defer { dir.remove() }
        let cache = try #require(try BuildConfiguration.load(BuildDirectory(root: dir.path)).project.cache)
        #expect(cache == CacheConfig(remote: "https://cache.example.org/cbuild", push: true, tokenFile: "secrets/token",
                                     signKey: "secrets/builder.sec.asc", signKeyKind: .openPGP, trust: ["keys/builders.asc"], timeout: 5))
    }

    @Test func aReaderNeedsOnlyTrust() throws {
        let dir = try directory("""
            remote = "http://cache.lan:8080"
            trust = ["keys/builders.asc"]
            """, files: ["keys/builders.asc": "pub"]); defer { dir.remove() }
        let cache = try #require(try BuildConfiguration.load(BuildDirectory(root: dir.path)).project.cache)
        #expect(cache.push == false && cache.signKey == nil && cache.trust == ["keys/builders.asc"])
    }

    @Test func badValuesAreErrorsAtTheirKey() throws {
        // Line numbers: the fixture's cbuild.toml has 16 lines, then a blank line and [cache].
        let base = ConfigFixtures.cbuildToml.split(separator: "\n", omittingEmptySubsequences: false).count + 2
        let cases: [(String, [String: String], Int?, String?, String)] = [
            ("remote = \"http://c\"\nsign_key = \"secrets/cache.key\"\nretries = 3\n", [:], base + 2, "cache.retries", "unknown key"),
            ("remote = \"ftp://cache.lan\"\nsign_key = \"secrets/cache.key\"\n", [:], base, "cache.remote", "not a cache URL"),
            ("remote = \"http://cache.lan/?x=1\"\nsign_key = \"secrets/cache.key\"\n", [:], base, "cache.remote", "not a cache URL"),
            ("sign_key = \"secrets/cache.key\"\n", [:], nil, "cache.remote", "remote"),
            ("remote = \"http://c\"\nsign_key = \"secrets/cache.key\"\npush = \"yes\"\n", [:], base + 2, "cache.push", "true or false"),
            ("remote = \"http://c\"\nsign_key = \"secrets/cache.key\"\ntimeout = 0\n", [:], base + 2, "cache.timeout", "too short"),
            ("remote = \"http://c\"\nsign_key = \"../outside.key\"\n", [:], base + 1, "cache.sign_key", "'..'"),
            ("remote = \"http://c\"\nsign_key = \"secrets/missing.key\"\n", [:], base + 1, "cache.sign_key", "secrets/missing.key"),
            ("remote = \"http://c\"\ntoken_file = \"/etc/token\"\ntrust = [\"keys/test.asc\"]\n", [:], base + 1, "cache.token_file", "absolute"),
            ("remote = \"http://c\"\nsign_key = \"secrets/short.key\"\n", ["secrets/short.key": "abc\n"], base + 1, "cache.sign_key", "shorter than 16 bytes"),
            ("remote = \"http://c\"\n", [:], nil, "cache.sign_key", "unsigned records are never used"),
            ("remote = \"http://c\"\ntrust = [\"keys/test.asc\"]\npush = true\n", [:], base + 2, "cache.push", "pushing needs sign_key"),
            ("remote = \"http://c\"\nsign_key = \"secrets/b.asc\"\n",
             ["secrets/b.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n"], base + 1, "cache.sign_key", "no 'trust' keys"),
        ]
        for (table, files, line, key, message) in cases {
            var all = ["secrets/cache.key": Self.hmacKey]
            all.merge(files) { $1 }
            let dir = try directory(table, files: all); defer { dir.remove() }
            expectLoadError(dir, file: "cbuild.toml", line: line, key: key, contains: message)
        }
    }
}
