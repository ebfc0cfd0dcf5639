import Foundation

/// What a publish node produced, written as its output file
/// `artifacts/publish/<node>-<key prefix>.json` (pretty JSON, sorted keys):
///
/// ```json
/// {"image_id": "ami-…", "key": "sha256:…", "name": "aws/web-20261201-1a2b3c4d5e6f",
///  "provider": "aws", "region": "eu-west-1", "snapshot_id": "snap-…"}
/// {"blob_url": "https://acct.blob.core.windows.net/images/aws/web-1a2b….vhd",
///  "key": "sha256:…", "name": "…", "provider": "azure"}
/// ```
/// The blob URL never carries its SAS query; nothing here is a credential.
/// `status`, `history` and their `--json` read it back (`summary`).
public struct PublishReceipt: Codable, Sendable, Equatable {
    public var provider: String
    public var key: String
    public var name: String
    public var region: String?
    public var imageID: String?
    public var snapshotID: String?
    public var blobURL: String?

    enum CodingKeys: String, CodingKey {
        case provider, key, name, region, imageID = "image_id", snapshotID = "snapshot_id", blobURL = "blob_url"
    }

    public init(provider: String, key: String, name: String, region: String? = nil, imageID: String? = nil,
                snapshotID: String? = nil, blobURL: String? = nil) {
        self.provider = provider; self.key = key; self.name = name; self.region = region
        self.imageID = imageID; self.snapshotID = snapshotID; self.blobURL = blobURL
    }

    /// `ami-… (snap-…, eu-west-1)` or the blob URL.
    public var summary: String {
        if let imageID { return "\(imageID) (\(snapshotID ?? "-"), \(region ?? "-"))" }
        return blobURL ?? name
    }

    /// The output path of a publish node's receipt.
    public static func path(node: String, keyShort: String) -> String {
        "artifacts/publish/\(node)-\(keyShort).json"
    }

    public func encoded() -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array((try? e.encode(self)) ?? Data()) + [0x0A]
    }

    /// The receipt at `path` (relative to `root`) when it is one.
    public static func read(root: String, path: String) -> PublishReceipt? {
        guard path.hasPrefix("artifacts/publish/"),
              let data = FileManager.default.contents(atPath: root + "/" + path) else { return nil }
        return try? JSONDecoder().decode(PublishReceipt.self, from: data)
    }

    /// Writes the receipt atomically.
    func write(root: String, path: String) throws(PublishError) {
        let full = root + "/" + path
        do {
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(encoded()).write(to: URL(fileURLWithPath: full), options: .atomic)
        } catch {
            throw .image(path: path, problem: "cannot write the receipt: \(error.localizedDescription)")
        }
    }
}
