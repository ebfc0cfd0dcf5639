import Foundation

/// A content digest tagged with its algorithm, so hex strings from different
/// algorithms can never be confused in keys, records or lock files.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        case sha256, sha512, blake2b512 = "blake2b"
        /// Only to check Gentoo's legacy `.md5sum` files beside flavour-3 snapshots.
        case md5
        /// Length of the digest in bytes.
        public var byteCount: Int {
            switch self {
            case .md5: return 16
            case .sha256: return 32
            case .sha512, .blake2b512: return 64
            }
        }
    }

    public let algorithm: Algorithm
    public let bytes: [UInt8]

    public init(algorithm: Algorithm, bytes: [UInt8]) {
        precondition(bytes.count == algorithm.byteCount, "digest length mismatch")
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses lowercase or uppercase hex; nil when the text is not a digest of this algorithm.
    public init?(algorithm: Algorithm, hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count == algorithm.byteCount * 2 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(algorithm.byteCount)
        var i = 0
        while i < chars.count {
            guard let hi = Digest.nibble(chars[i]), let lo = Digest.nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self.init(algorithm: algorithm, bytes: out)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Lowercase hex, as Gentoo's digest files and sha256sum print it.
    public var hex: String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            Digest.writeHex(bytes, into: out, at: 0)
        }
    }

    /// `sha256:abcd…` — the form used in keys, JSON and the state database.
    /// Written into the string's storage in one pass: rules format every
    /// input's digest for its node's key, so a no-op build formats
    /// thousands of them.
    public var description: String {
        let name = algorithm.rawValue
        let nameCount = name.utf8.count
        return String(unsafeUninitializedCapacity: nameCount + 1 + bytes.count * 2) { out in
            var i = 0
            for c in name.utf8 { out[i] = c; i += 1 }
            out[i] = UInt8(ascii: ":")
            return Digest.writeHex(bytes, into: out, at: i + 1)
        }
    }

    /// Writes `bytes` as lowercase hex from `start`; returns the index after the last digit.
    private static func writeHex(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        @inline(__always) func digit(_ v: UInt8) -> UInt8 { v < 10 ? v &+ UInt8(ascii: "0") : v &+ (UInt8(ascii: "a") &- 10) }
        var i = start
        for b in bytes {
            out[i] = digit(b >> 4)
            out[i + 1] = digit(b & 0xf)
            i += 2
        }
        return i
    }

    /// Parses the `algorithm:hex` form written by `description`.
    public init?(tagged: String) {
        guard let colon = tagged.firstIndex(of: ":"),
              let alg = Algorithm(rawValue: String(tagged[..<colon])) else { return nil }
        self.init(algorithm: alg, hex: String(tagged[tagged.index(after: colon)...]))
    }

    /// The first `n` hex characters, for version stamps and short displays.
    public func shortHex(_ n: Int = 12) -> String { String(hex.prefix(n)) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = Digest(tagged: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a tagged digest: \(s)")
        }
        self = d
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
