import CBuildBasics
import Foundation

/// The EBS direct APIs that write a snapshot without S3 (REST + JSON,
/// signed with SigV4 for `ebs`): StartSnapshot, PutSnapshotBlock,
/// CompleteSnapshot.
public struct EBSClient: Sendable {
    public let endpoint: String
    public let signer: SigV4Signer
    public let http: any HTTPClient
    public let clock: @Sendable () -> Date

    /// EBS snapshots are written in blocks of 512 KiB.
    public static let blockSize = 512 * 1024

    public init(region: String, endpoint: String?, credentials: AWSCredentials, http: any HTTPClient,
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.endpoint = endpoint ?? "https://ebs.\(region).amazonaws.com"
        signer = SigV4Signer(credentials: credentials, region: region, service: "ebs")
        self.http = http; self.clock = clock
    }

    /// Starts an empty snapshot of `volumeGiB`; returns its id.
    public func startSnapshot(volumeGiB: Int64, description: String, tags: [(String, String)],
                              clientToken: String) async throws(PublishError) -> String {
        let body: [String: Any] = [
            "VolumeSize": volumeGiB, "Description": description, "ClientToken": clientToken,
            "Tags": tags.map { ["Key": $0.0, "Value": $0.1] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        let response = try await send("StartSnapshot", "POST", "/snapshots", headers: [("Content-Type", "application/json")],
                                      body: [UInt8](data))
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let id = json["SnapshotId"] as? String else {
            throw .malformedResponse(service: "EBS", operation: "StartSnapshot", detail: "no SnapshotId")
        }
        return id
    }

    /// Writes block `index` (exactly `blockSize` bytes) with its SHA-256.
    public func putSnapshotBlock(_ snapshot: String, index: Int, data: [UInt8], sha256: Digest) async throws(PublishError) {
        let checksum = Data(sha256.bytes).base64EncodedString()
        var request = HTTPRequest(method: "PUT", origin: endpoint, path: "/snapshots/\(snapshot)/blocks/\(index)",
                                  headers: [("Content-Type", "application/octet-stream"),
                                            ("x-amz-Data-Length", String(data.count)),
                                            ("x-amz-Checksum", checksum),
                                            ("x-amz-Checksum-Algorithm", "SHA256")],
                                  body: data)
        request.payloadSHA256 = sha256.hex
        _ = try await send("PutSnapshotBlock", request)
    }

    /// Seals the snapshot after `changedBlocks` writes; returns its status.
    public func completeSnapshot(_ snapshot: String, changedBlocks: Int) async throws(PublishError) -> String {
        let response = try await send("CompleteSnapshot", "POST", "/snapshots/completion/\(snapshot)",
                                      headers: [("x-amz-ChangedBlocksCount", String(changedBlocks))], body: [])
        let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return json?["Status"] as? String ?? "pending"
    }

    func send(_ operation: String, _ method: String, _ path: String, headers: [(String, String)],
              body: [UInt8]) async throws(PublishError) -> HTTPResponse {
        try await send(operation, HTTPRequest(method: method, origin: endpoint, path: path, headers: headers, body: body))
    }

    func send(_ operation: String, _ request: HTTPRequest) async throws(PublishError) -> HTTPResponse {
        var request = request
        signer.sign(&request, date: clock())
        let response = try await http.send(request)
        guard (200..<300).contains(response.status) else {
            let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            let type = response.headers["x-amzn-errortype"].map { String($0.split(separator: ":")[0]) }
                ?? (json?["__type"] as? String) ?? (json?["Code"] as? String) ?? "HTTP\(response.status)"
            let message = (json?["Message"] as? String) ?? (json?["message"] as? String) ?? String(response.text.prefix(200))
            if PublishError.authenticationCodes.contains(type) || response.status == 401 || response.status == 403 {
                throw .authentication(service: "EBS", code: type, message: message)
            }
            throw .service(service: "EBS", operation: operation, status: response.status, code: type, message: message)
        }
        return response
    }
}
