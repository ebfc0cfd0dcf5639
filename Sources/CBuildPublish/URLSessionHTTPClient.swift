import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `HTTPClient` over URLSession (http and https, connections reused
/// between requests). A transport failure becomes `PublishError.unreachable`
/// naming the endpoint, never the query (which may hold a SAS signature).
public final class URLSessionHTTPClient: HTTPClient {
    private let session: URLSession
    public let timeout: TimeInterval

    public init(timeout: TimeInterval = 120, maxConnections: Int = 16) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maxConnections
        configuration.timeoutIntervalForRequest = timeout
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
        self.timeout = timeout
    }

    deinit { session.finishTasksAndInvalidate() }

    public func send(_ request: HTTPRequest) async throws(PublishError) -> HTTPResponse {
        guard let url = URL(string: request.url) else { throw .unreachable(endpoint: request.shownURL, reason: "not a URL") }
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        r.httpMethod = request.method
        for (name, value) in request.headers where name.lowercased() != "host" { r.addValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty || request.method == "PUT" || request.method == "POST" {
            r.httpBody = Data(request.body)
        }
        let session = self.session
        let result: Result<(Data, URLResponse), any Error> = await withCheckedContinuation { continuation in
            let task = session.dataTask(with: r) { data, response, error in
                if let error { continuation.resume(returning: .failure(error)); return }
                guard let response else {
                    continuation.resume(returning: .failure(URLError(.badServerResponse))); return
                }
                continuation.resume(returning: .success((data ?? Data(), response)))
            }
            task.resume()
        }
        switch result {
        case let .failure(error):
            throw .unreachable(endpoint: request.origin, reason: (error as? URLError).map(Self.describe) ?? "\(error.localizedDescription)")
        case let .success((data, response)):
            guard let http = response as? HTTPURLResponse else {
                throw .unreachable(endpoint: request.origin, reason: "not an HTTP response")
            }
            var headers: [String: String] = [:]
            for (k, v) in http.allHeaderFields { headers["\(k)".lowercased()] = "\(v)" }
            return HTTPResponse(status: http.statusCode, headers: headers, body: [UInt8](data))
        }
    }

    /// The reason in words. A server that stops while requests are in
    /// flight gives `badServerResponse` on Linux (curl got no answer).
    static func describe(_ e: URLError) -> String {
        switch e.code {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "timed out"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .networkConnectionLost: return "connection lost"
        case .badServerResponse, .zeroByteResource: return "the connection closed without an answer (did the server stop?)"
        case .cannotParseResponse: return "the answer was not HTTP"
        case .secureConnectionFailed, .serverCertificateUntrusted: return "TLS failed"
        default: return "network error \(e.code.rawValue)"
        }
    }
}
