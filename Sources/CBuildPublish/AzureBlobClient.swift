import CBuildBasics
import Foundation

/// The Blob service calls a page-blob upload needs, through a SAS URL
/// (docs/publish.md; Azure's Put Blob, Put Page, Set Blob Metadata and
/// Get Blob Properties): every request carries `x-ms-version` and
/// `x-ms-date`, and the SAS query.
public struct AzureBlobClient: Sendable {
    public let sas: AzureSAS
    public let http: any HTTPClient
    public let clock: @Sendable () -> Date

    /// The REST API version sent (`x-ms-version`).
    public static let version = "2021-08-06"
    /// Put Page writes at most 4 MiB, in 512-byte pages.
    public static let maxRange = 4 * 1024 * 1024
    public static let pageSize = 512
    /// Metadata name carrying the node key (a C# identifier, as Azure requires).
    public static let keyMetadata = "cbuild_key"

    public init(sas: AzureSAS, http: any HTTPClient, clock: @escaping @Sendable () -> Date = Date.init) {
        self.sas = sas; self.http = http; self.clock = clock
    }

    /// The blob's metadata and length, or nil when it does not exist.
    public func properties(_ blob: String) async throws(PublishError) -> (length: Int64, metadata: [String: String])? {
        let response = try await send("Get Blob Properties", "HEAD", blob, comp: nil, headers: [], body: [], accept: [200, 404])
        guard response.status == 200 else { return nil }
        var metadata: [String: String] = [:]
        for (k, v) in response.headers where k.hasPrefix("x-ms-meta-") { metadata[String(k.dropFirst("x-ms-meta-".count))] = v }
        return (Int64(response.headers["content-length"] ?? "") ?? 0, metadata)
    }

    /// Creates (or resets to zeros) a page blob of `length` bytes.
    public func createPageBlob(_ blob: String, length: Int64) async throws(PublishError) {
        _ = try await send("Put Blob", "PUT", blob, comp: nil, headers: [
            ("x-ms-blob-type", "PageBlob"), ("x-ms-blob-content-length", String(length)),
            ("x-ms-blob-content-type", "application/octet-stream"), ("Content-Length", "0"),
        ], body: [], accept: [201])
    }

    /// Writes `data` at `offset` (both 512-aligned, at most 4 MiB) with its MD5.
    public func putPage(_ blob: String, offset: Int64, data: [UInt8]) async throws(PublishError) {
        let md5 = Data(ContentHasher.digest(.md5, data).bytes).base64EncodedString()
        _ = try await send("Put Page", "PUT", blob, comp: "page", headers: [
            ("x-ms-page-write", "update"), ("x-ms-range", "bytes=\(offset)-\(offset + Int64(data.count) - 1)"),
            ("Content-Length", String(data.count)), ("Content-MD5", md5),
        ], body: data, accept: [201])
    }

    /// Replaces the blob's metadata.
    public func setMetadata(_ blob: String, _ metadata: [String: String]) async throws(PublishError) {
        _ = try await send("Set Blob Metadata", "PUT", blob, comp: "metadata",
                           headers: metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) } + [("Content-Length", "0")],
                           body: [], accept: [200])
    }

    func send(_ operation: String, _ method: String, _ blob: String, comp: String?, headers: [(String, String)],
              body: [UInt8], accept: Set<Int>) async throws(PublishError) -> HTTPResponse {
        let url = sas.blobURL(blob)
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else {
            throw .credentials("the SAS URL gives no valid blob URL for \(blob)")
        }
        let origin = "\(scheme)://\(host)" + (parsed.port.map { ":\($0)" } ?? "")
        var request = HTTPRequest(method: method, origin: origin, path: String(url.dropFirst(origin.count)),
                                  query: comp.map { [("comp", $0)] } ?? [],
                                  headers: [("x-ms-version", Self.version), ("x-ms-date", Self.httpDate(clock()))] + headers,
                                  body: body)
        request.rawQuery = sas.query
        let response = try await http.send(request)
        guard accept.contains(response.status) else {
            let tree = XMLTree.parse(response.body)
            let code = response.headers["x-ms-error-code"] ?? tree?.value("Code") ?? "HTTP\(response.status)"
            let message = tree?.value("Message").map { String($0.split(separator: "\n")[0]) } ?? String(response.text.prefix(200))
            if response.status == 403 || code == "AuthenticationFailed" || code == "AuthorizationFailure" {
                throw .authentication(service: "Azure Blob", code: code, message: message)
            }
            throw .service(service: "Azure Blob", operation: operation, status: response.status, code: code, message: message)
        }
        return response
    }

    /// RFC 1123: `Tue, 01 Dec 2026 23:50:00 GMT`.
    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }
}
