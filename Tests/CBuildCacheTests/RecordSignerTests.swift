import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildCache

/// Records are believed only with a signature this host can check: the
/// shared HMAC key, or an OpenPGP key listed in `trust` (checked by gpgv).
@Suite struct RecordSignerTests {
    let work: TemporaryDirectory
    init() throws { work = try TemporaryDirectory(prefix: "cbuild-signer") }

    let record = #"{"format":"cbuild-action-record/1","key":"sha256:00"}"#

    @Test func hmacMatchesOpenSSLAndChecksOnlyWithTheSameKey() throws {
        defer { work.remove() }
        let key = Array("0123456789abcdef0123456789abcdef".utf8)
        // Reference value from `openssl dgst -sha256 -hmac KEY`.
        let file = try work.write("msg", record)
        let r = try SystemProcessRunner().run(["openssl", "dgst", "-sha256", "-hmac", String(decoding: key, as: UTF8.self), "-r", file])
        let expected = String(r.stdoutString.prefix(64))
        #expect(RecordSigner.hmacSHA256(key: key, Array(record.utf8)) == expected)

        let signer = RecordSigner(signing: .hmac(key: key), trust: [], workDirectory: work.path)
        let envelope = try signer.sign(record)
        #expect(envelope.hmacSHA256 == expected)
        #expect(signer.verify(envelope) == .good(signer: "hmac"))

        let other = RecordSigner(signing: .hmac(key: Array("another key, also 32 bytes long!".utf8)), trust: [], workDirectory: work.path)
        guard case .bad = other.verify(envelope) else { Issue.record("another key accepted the record"); return }
        var tampered = envelope
        tampered.record = record.replacingOccurrences(of: "00", with: "01")
        guard case .bad = signer.verify(tampered) else { Issue.record("a changed record kept its signature"); return }
        #expect(signer.verify(RecordEnvelope(record: record)) == .unsigned)
    }

    @Test func openPGPSignaturesAreCheckedAgainstTrustWithGpgv() throws {
        defer { work.remove() }
        let builder = try GPGFixture(name: "cache builder"); defer { builder.remove() }
        let stranger = try GPGFixture(name: "stranger"); defer { stranger.remove() }
        let secret = try exportSecretKey(builder, to: work.path + "/builder.sec.asc")

        let signer = RecordSigner(signing: .openPGP(secretKeyFile: secret), trust: [builder.publicKeyFile],
                                  workDirectory: work.path + "/a")
        try FileManager.default.createDirectory(atPath: work.path + "/a", withIntermediateDirectories: true)
        defer { signer.close() }
        let envelope = try signer.sign(record)
        #expect(envelope.openPGPSignature?.contains("BEGIN PGP SIGNATURE") == true)
        #expect(envelope.hmacSHA256 == nil)

        try FileManager.default.createDirectory(atPath: work.path + "/b", withIntermediateDirectories: true)
        let reader = RecordSigner(signing: nil, trust: [builder.publicKeyFile], workDirectory: work.path + "/b")
        #expect(reader.verify(envelope) == .good(signer: builder.fingerprint))

        var tampered = envelope
        tampered.record += " "
        guard case let .bad(why) = reader.verify(tampered) else { Issue.record("a changed record was believed"); return }
        #expect(why.contains("bad signature"), "\(why)")

        try FileManager.default.createDirectory(atPath: work.path + "/c", withIntermediateDirectories: true)
        let strangerOnly = RecordSigner(signing: nil, trust: [stranger.publicKeyFile], workDirectory: work.path + "/c")
        guard case let .bad(why2) = strangerOnly.verify(envelope) else { Issue.record("an untrusted signer was believed"); return }
        #expect(why2.contains("not in trust"), "\(why2)")

        let hmacOnly = RecordSigner(signing: .hmac(key: Array("0123456789abcdef0123456789abcdef".utf8)), trust: [],
                                    workDirectory: work.path)
        guard case .bad = hmacOnly.verify(envelope) else { Issue.record("a signature nobody can check was believed"); return }
    }
}

/// The fixture's secret key, armoured, as a `sign_key` file.
func exportSecretKey(_ key: GPGFixture, to path: String) throws -> String {
    var env = ProcessInfo.processInfo.environment
    env["GNUPGHOME"] = key.home
    let r = try SystemProcessRunner().run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                                           "--armor", "--export-secret-keys", key.fingerprint],
                                          environment: env, currentDirectory: nil, input: nil)
    guard r.succeeded, !r.stdout.isEmpty else { throw NSError(domain: "gpg", code: Int(r.status)) }
    _ = FileManager.default.createFile(atPath: path, contents: Data(r.stdout))
    return path
}
