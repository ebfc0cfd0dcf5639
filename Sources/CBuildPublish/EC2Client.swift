import Foundation

/// The EC2 Query API calls publishing needs (`Action=…&Version=2016-11-15`,
/// form-encoded POST, XML answers), each signed with SigV4 for `ec2`.
public struct EC2Client: Sendable {
    public let endpoint: String
    public let signer: SigV4Signer
    public let http: any HTTPClient
    public let clock: @Sendable () -> Date

    public static let version = "2016-11-15"

    public init(region: String, endpoint: String?, credentials: AWSCredentials, http: any HTTPClient,
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.endpoint = endpoint ?? "https://ec2.\(region).amazonaws.com"
        signer = SigV4Signer(credentials: credentials, region: region, service: "ec2")
        self.http = http; self.clock = clock
    }

    /// An image found by its tags.
    public struct Image: Sendable, Equatable {
        public var id: String
        public var name: String
        public var state: String
        public var snapshotIDs: [String]
    }

    /// A snapshot's id, state and tags.
    public struct Snapshot: Sendable, Equatable {
        public var id: String
        public var state: String
    }

    /// Images owned by this account carrying `tag` = `value`.
    public func describeImages(tag: String, value: String) async throws(PublishError) -> [Image] {
        let tree = try await call("DescribeImages", [("Owner.1", "self"), ("Filter.1.Name", "tag:\(tag)"), ("Filter.1.Value.1", value)])
        return (tree["imagesSet"]?.children ?? []).compactMap { item in
            guard let id = item.value("imageId") else { return nil }
            let snaps = item["blockDeviceMapping"]?.children.compactMap { $0["ebs", "snapshotId"]?.text } ?? []
            return Image(id: id, name: item.child("name")?.text ?? "", state: item.child("imageState")?.text ?? "", snapshotIDs: snaps)
        }
    }

    /// Snapshots owned by this account, by tag or by id.
    public func describeSnapshots(tag: String? = nil, value: String? = nil, ids: [String] = []) async throws(PublishError) -> [Snapshot] {
        var params: [(String, String)] = [("Owner.1", "self")]
        if let tag, let value { params += [("Filter.1.Name", "tag:\(tag)"), ("Filter.1.Value.1", value)] }
        for (i, id) in ids.enumerated() { params.append(("SnapshotId.\(i + 1)", id)) }
        let tree = try await call("DescribeSnapshots", params)
        return (tree["snapshotSet"]?.children ?? []).compactMap { item in
            guard let id = item.child("snapshotId")?.text else { return nil }
            return Snapshot(id: id, state: item.child("status")?.text ?? "")
        }
    }

    public func deleteSnapshot(_ id: String) async throws(PublishError) {
        _ = try await call("DeleteSnapshot", [("SnapshotId", id)])
    }

    /// What RegisterImage is given: an EBS-backed HVM image of one snapshot.
    public struct Registration: Sendable {
        public var name: String
        public var description: String
        public var snapshotID: String
        public var architecture: String
        public var bootMode: String
        public var ena: Bool
        public var volumeType: String
        public var rootDevice = "/dev/xvda"
        public var tags: [(String, String)]
    }

    /// The parameters of RegisterImage, in the order they are sent.
    static func registerParameters(_ r: Registration) -> [(String, String)] {
        var p: [(String, String)] = [
            ("Name", r.name), ("Description", r.description), ("Architecture", r.architecture),
            ("RootDeviceName", r.rootDevice), ("VirtualizationType", "hvm"), ("BootMode", r.bootMode),
            ("EnaSupport", r.ena ? "true" : "false"),
            ("BlockDeviceMapping.1.DeviceName", r.rootDevice),
            ("BlockDeviceMapping.1.Ebs.SnapshotId", r.snapshotID),
            ("BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"),
            ("BlockDeviceMapping.1.Ebs.VolumeType", r.volumeType),
            ("TagSpecification.1.ResourceType", "image"),
        ]
        for (i, tag) in r.tags.enumerated() {
            p += [("TagSpecification.1.Tag.\(i + 1).Key", tag.0), ("TagSpecification.1.Tag.\(i + 1).Value", tag.1)]
        }
        return p
    }

    /// Registers the image; returns its id.
    public func registerImage(_ r: Registration) async throws(PublishError) -> String {
        let tree = try await call("RegisterImage", Self.registerParameters(r))
        guard let id = tree.value("imageId") else {
            throw .malformedResponse(service: "EC2", operation: "RegisterImage", detail: "no imageId")
        }
        return id
    }

    public func createTags(_ resources: [String], _ tags: [(String, String)]) async throws(PublishError) {
        var p: [(String, String)] = []
        for (i, r) in resources.enumerated() { p.append(("ResourceId.\(i + 1)", r)) }
        for (i, t) in tags.enumerated() { p += [("Tag.\(i + 1).Key", t.0), ("Tag.\(i + 1).Value", t.1)] }
        _ = try await call("CreateTags", p)
    }

    /// One signed Query API call; an error answer becomes a `PublishError`.
    func call(_ action: String, _ parameters: [(String, String)]) async throws(PublishError) -> XMLTree {
        let form = ([("Action", action), ("Version", Self.version)] + parameters)
            .map { SigV4Signer.percentEncode($0.0) + "=" + SigV4Signer.percentEncode($0.1) }.joined(separator: "&")
        var request = HTTPRequest(method: "POST", origin: endpoint, path: "/",
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                  body: Array(form.utf8))
        signer.sign(&request, date: clock())
        let response = try await http.send(request)
        let tree = XMLTree.parse(response.body)
        guard (200..<300).contains(response.status) else {
            let code = tree?.value("Code") ?? "HTTP\(response.status)"
            let message = tree?.value("Message") ?? String(response.text.prefix(200))
            if PublishError.authenticationCodes.contains(code) || response.status == 401 || response.status == 403 {
                throw .authentication(service: "EC2", code: code, message: message)
            }
            throw .service(service: "EC2", operation: action, status: response.status, code: code, message: message)
        }
        guard let tree else { throw .malformedResponse(service: "EC2", operation: action, detail: "not XML") }
        return tree
    }
}
