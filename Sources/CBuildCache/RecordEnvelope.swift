import Foundation

/// The bytes stored under `ac/<key>`: the record's JSON text, kept as a
/// string so its signed bytes survive any re-encoding, and its signature —
/// `hmac_sha256` (hex) or `openpgp_signature` (an ASCII-armoured detached
/// signature over the record text). One entry, one PUT: the record and its
/// signature appear together or not at all.
public struct RecordEnvelope: Codable, Sendable, Equatable {
    public var record: String
    public var hmacSHA256: String?
    public var openPGPSignature: String?

    enum CodingKeys: String, CodingKey {
        case record, hmacSHA256 = "hmac_sha256", openPGPSignature = "openpgp_signature"
    }

    public init(record: String, hmacSHA256: String? = nil, openPGPSignature: String? = nil) {
        self.record = record; self.hmacSHA256 = hmacSHA256; self.openPGPSignature = openPGPSignature
    }

    /// Largest entry accepted from a server (a record is a few KiB).
    public static let sizeLimit = 1 << 20

    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try e.encode(self)) + [0x0A]
    }

    public static func decode(_ bytes: [UInt8]) throws -> RecordEnvelope {
        try JSONDecoder().decode(RecordEnvelope.self, from: Data(bytes))
    }
}
