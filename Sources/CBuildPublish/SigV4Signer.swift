import CBuildBasics
import CLibCrypto
import Foundation

/// AWS Signature Version 4 (docs/publish.md): the canonical request, the
/// string to sign, the derived signing key and the `Authorization` header,
/// as AWS documents it for every service but S3 (paths are encoded once
/// more, as botocore does; query parameters are sorted after encoding).
/// Checked against AWS's published test-suite vectors and, request by
/// request, against botocore's signer (Tests/CBuildPublishTests).
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    /// The signing name: `ec2`, `ebs`.
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials; self.region = region; self.service = service
    }

    /// Headers never signed (proxies and clients change them).
    static let unsignedHeaders: Set<String> = ["user-agent", "expect", "x-amzn-trace-id", "authorization"]

    /// Adds `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and
    /// `Authorization` to `request`. `date` is the signing time.
    public func sign(_ request: inout HTTPRequest, date: Date) {
        let stamp = Self.timestamp(date)
        request.setHeader("X-Amz-Date", stamp)
        if let token = credentials.sessionToken { request.setHeader("X-Amz-Security-Token", token) }
        let parts = canonicalParts(request)
        let scope = "\(stamp.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = stringToSign(canonicalRequest: parts.canonical, timestamp: stamp, scope: scope)
        let signature = Self.hex(Self.hmac(signingKey(day: String(stamp.prefix(8))), Array(toSign.utf8)))
        request.setHeader("Authorization",
                          "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(parts.signedHeaders), Signature=\(signature)")
    }

    /// The canonical request and the signed header list.
    public func canonicalParts(_ request: HTTPRequest) -> (canonical: String, signedHeaders: String) {
        var headers: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in request.headers {
            let n = name.lowercased()
            guard !Self.unsignedHeaders.contains(n) else { continue }
            if headers[n] == nil { order.append(n) }
            headers[n, default: []].append(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
        }
        if headers["host"] == nil { headers["host"] = [request.hostHeader]; order.append("host") }
        let names = headers.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        let payload = request.payloadSHA256 ?? ContentHasher.digest(.sha256, request.body).hex
        let canonical = [request.method, canonicalURI(request.path), canonicalQuery(request.query),
                         canonicalHeaders, signed, payload].joined(separator: "\n")
        return (canonical, signed)
    }

    func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        ["AWS4-HMAC-SHA256", timestamp, scope, ContentHasher.digest(.sha256, canonicalRequest).hex].joined(separator: "\n")
    }

    func signingKey(day: String) -> [UInt8] {
        var key = Self.hmac(Array("AWS4\(credentials.secretAccessKey)".utf8), Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = Self.hmac(key, Array(part.utf8)) }
        return key
    }

    /// The path as sent (already percent-encoded), normalized (`.`/`..`,
    /// repeated slashes) and encoded once more, keeping `/`.
    func canonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for s in path.split(separator: "/", omittingEmptySubsequences: true) {
            if s == "." { continue }
            if s == ".." { _ = segments.popLast(); continue }
            segments.append(s)
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && normalized != "/" { normalized += "/" }
        return Self.percentEncode(normalized, keepSlash: true)
    }

    /// `name=value` pairs, each RFC 3986-encoded, sorted by name then value.
    func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (Self.percentEncode($0.0), Self.percentEncode($0.1)) }
            .sorted { a, b in a.0 == b.0 ? Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
                                         : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8)) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `20150830T123600Z`.
    public static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    /// RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` (and `/` when kept) as `%XX`.
    public static func percentEncode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
