import CBuildBasics
import CLibCrypto
import Foundation

/// Signs the records this host pushes and decides which records it
/// believes. HMAC-SHA256 with a shared secret (`sign_key`): the same key
/// signs and checks. OpenPGP: `sign_key` is an armoured secret key that
/// gpg signs with; records are believed when gpgv finds a good signature
/// by one of the `trust` keys. A record with no signature this host can
/// check is never believed.
public final class RecordSigner: Sendable {
    /// How records are signed (nil: this host cannot sign, so never pushes).
    public enum Signing: Sendable {
        case hmac(key: [UInt8])
        case openPGP(secretKeyFile: String)
    }

    /// What a check of a record's signature found.
    public enum Verdict: Sendable, Equatable {
        /// Signed by a key this host trusts (`hmac` or the OpenPGP fingerprint).
        case good(signer: String)
        case unsigned
        case bad(String)
    }

    public let signing: Signing?
    private let hmacKey: [UInt8]?
    private let openPGP: OpenPGPTool?

    /// `trust`: public key files (armoured or binary) for OpenPGP records;
    /// `workDirectory`: where gpg's keyring and temporary files go.
    public init(signing: Signing?, trust: [String], workDirectory: String) {
        self.signing = signing
        if case let .hmac(key) = signing { hmacKey = key } else { hmacKey = nil }
        var secret: String?
        if case let .openPGP(file) = signing { secret = file }
        openPGP = trust.isEmpty && secret == nil ? nil
            : OpenPGPTool(trust: trust, secretKeyFile: secret, workDirectory: workDirectory)
    }

    /// Wraps the record text with its signature.
    public func sign(_ record: String) throws -> RecordEnvelope {
        switch signing {
        case let .hmac(key)?:
            return RecordEnvelope(record: record, hmacSHA256: Self.hmacSHA256(key: key, Array(record.utf8)))
        case .openPGP?:
            guard let openPGP else { throw CacheProblem.signing("no OpenPGP tool") }
            return RecordEnvelope(record: record, openPGPSignature: try openPGP.sign(record))
        case nil:
            throw CacheProblem.signing("no sign_key configured")
        }
    }

    /// Checks the envelope's signature against this host's keys. An HMAC
    /// is checked when this host has the HMAC key, an OpenPGP signature
    /// when it has `trust` keys; a signature it cannot check counts as none.
    public func verify(_ envelope: RecordEnvelope) -> Verdict {
        var problems: [String] = []
        if let mac = envelope.hmacSHA256, let key = hmacKey {
            let expected = Self.hmacSHA256(key: key, Array(envelope.record.utf8))
            if Self.constantTimeEqual(Array(mac.lowercased().utf8), Array(expected.utf8)) { return .good(signer: "hmac") }
            problems.append("the HMAC-SHA256 does not match this host's sign_key")
        }
        if let signature = envelope.openPGPSignature, let openPGP, openPGP.canVerify {
            switch openPGP.verify(envelope.record, signature: signature) {
            case let .success(fingerprint): return .good(signer: fingerprint)
            case let .failure(problem): problems.append("OpenPGP signature: \(problem)")
            }
        }
        if !problems.isEmpty { return .bad(problems.joined(separator: "; ")) }
        if envelope.hmacSHA256 != nil || envelope.openPGPSignature != nil {
            return .bad("signed with a method this host has no key for (HMAC needs sign_key, OpenPGP needs trust)")
        }
        return .unsigned
    }

    /// Stops gpg's agent and removes temporary keyrings.
    public func close() { openPGP?.close() }

    /// HMAC-SHA256 of `message` under `key`, lower-case hex.
    public static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.bindMemory(to: UInt8.self).baseAddress, m.count,
                     &out, &length)
            }
        }
        return Digest(algorithm: .sha256, bytes: Array(out.prefix(Int(length)))).hex
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return CRYPTO_memcmp(a, b, a.count) == 0
    }
}
