import CBuildBasics
import CBuildCache
import CBuildConfig
@testable import CBuildProject
import CBuildTestSupport
import Foundation
import Testing

/// `[cache]` becomes the engine's remote cache with the files it names read.
@Suite struct ProjectCacheTests {
    func load(_ cache: String, files: [String: String]) throws -> (TemporaryDirectory, BuildConfiguration) {
        let dir = try TemporaryDirectory(prefix: "cbuild-projcache")
        try ConfigFixtures.write(into: dir, overriding: ["cbuild.toml": ConfigFixtures.cbuildToml + "\n[cache]\n" + cache])
        for (p, t) in files { try dir.write(p, t) }
        return (dir, try BuildConfiguration.load(BuildDirectory(root: dir.path)))
    }

    @Test func tokenAndHMACKeyAreReadWithoutTheirTrailingNewline() throws {
        let (dir, config) = try load("""
            remote = "http://127.0.0.1:9/"
            push = true
            token_file = "secrets/token"
            sign_key = "secrets/cache.key"
            timeout = 7
            """, files: ["secrets/token": "abc123\n", "secrets/cache.key": "0123456789abcdef0123\n"])
        defer { dir.remove() }
        let cache = try #require(ProjectCache.make(config, events: NullEventSink()))
        defer { cache.close() }
        #expect(cache.settings.remote == "http://127.0.0.1:9")
        #expect(cache.settings.push)
        #expect(cache.settings.token == "abc123")
        #expect(cache.settings.timeout == 7)
        guard case let .hmac(key)? = cache.settings.signing else { Issue.record("not HMAC"); return }
        #expect(key == Array("0123456789abcdef0123".utf8))
        #expect(cache.root == config.directory.root)
    }

    @Test func anArmouredSecretKeySignsWithOpenPGPAndTrustPathsAreAbsolute() throws {
        let (dir, config) = try load("""
            remote = "https://cache.example.org"
            sign_key = "secrets/b.sec.asc"
            trust = ["keys/test.asc"]
            """, files: ["secrets/b.sec.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n-----END PGP PRIVATE KEY BLOCK-----\n"])
        defer { dir.remove() }
        let cache = try #require(ProjectCache.make(config, events: NullEventSink()))
        defer { cache.close() }
        guard case let .openPGP(file)? = cache.settings.signing else { Issue.record("not OpenPGP"); return }
        #expect(file == config.directory.root + "/secrets/b.sec.asc")
        #expect(cache.settings.trust == [config.directory.root + "/keys/test.asc"])
        #expect(cache.transport is URLSessionTransport, "https goes through URLSession")
    }

    @Test func noTableNoCache() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-projcache"); defer { dir.remove() }
        try ConfigFixtures.write(into: dir, overriding: [:])
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(ProjectCache.make(config, events: NullEventSink()) == nil)
    }
}
