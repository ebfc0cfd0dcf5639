import Foundation

/// One HTTP request as the cloud clients build it: method, scheme + host
/// (+ port), an already percent-encoded path, query pairs (not encoded),
/// headers in order, and a body. Signing (SigV4) reads exactly these.
public struct HTTPRequest: Sendable {
    public var method: String
    /// `https://ec2.eu-west-1.amazonaws.com` or `http://127.0.0.1:5000`, no trailing slash.
    public var origin: String
    public var path: String
    public var query: [(String, String)]
    /// A query string sent as it is, after `query` (an Azure SAS, already encoded); never signed or shown.
    public var rawQuery: String?
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A precomputed hex SHA-256 of the body (blocks are hashed once, for both the checksum and the signature).
    public var payloadSHA256: String?

    public init(method: String, origin: String, path: String, query: [(String, String)] = [],
                headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method; self.origin = origin; self.path = path; self.query = query
        self.headers = headers; self.body = body
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.0.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// The `Host` header: the origin's host, with its port unless it is the scheme's default.
    public var hostHeader: String {
        guard let url = URL(string: origin), let host = url.host else { return "" }
        if let port = url.port, !(url.scheme == "http" && port == 80) && !(url.scheme == "https" && port == 443) {
            return "\(host):\(port)"
        }
        return host
    }

    /// The full URL as sent: the query encoded the way the signature encodes it.
    public var url: String {
        var q = query.map { SigV4Signer.percentEncode($0.0) + "=" + SigV4Signer.percentEncode($0.1) }.joined(separator: "&")
        if let rawQuery, !rawQuery.isEmpty { q += (q.isEmpty ? "" : "&") + rawQuery }
        return origin + path + (q.isEmpty ? "" : "?" + q)
    }

    /// The URL for messages: the query (which may carry a SAS signature) left out.
    public var shownURL: String { origin + path }
}

/// An HTTP response: status, headers (names lower-cased) and the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status; self.headers = headers; self.body = body
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends requests; the real one is `URLSessionHTTPClient`, tests may count or fail requests.
public protocol HTTPClient: Sendable {
    func send(_ request: HTTPRequest) async throws(PublishError) -> HTTPResponse
}
