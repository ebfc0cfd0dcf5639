import CBuildBasics
import Foundation

/// `[publish.aws]`: the AMI an `ami/NAME` node registers from the target's
/// raw image (docs/publish.md). Everything here that changes the published
/// image enters the node's key (`keyText`); `concurrency` does not.
public struct AWSPublishConfig: Sendable, Hashable {
    /// `eu-west-1`.
    public var region: String
    /// Overrides both `https://ec2.REGION.amazonaws.com` and
    /// `https://ebs.REGION.amazonaws.com` (an emulator such as moto serves both).
    public var endpoint: String?
    /// AMI name template (`PublishConfig.nameTokens`).
    public var name: String
    /// Extra tags on the AMI and its snapshot.
    public var tags: [String: String]
    /// `uefi` or `uefi-preferred`: cbuild's images boot through an EFI system partition.
    public var bootMode: String
    /// `x86_64` or `arm64`.
    public var architecture: String
    /// Elastic Network Adapter support.
    public var ena: Bool
    /// EBS volume type of the root device.
    public var volumeType: String
    /// Blocks in flight at once.
    public var concurrency: Int

    public static let defaultName = "@TARGET@-@DATE@-@KEY@"
    public static let bootModes = ["uefi", "uefi-preferred"]
    public static let architectures = ["x86_64", "arm64"]
    public static let volumeTypes = ["gp3", "gp2", "io1", "io2", "st1", "sc1", "standard"]
    /// The tag carrying the node key; not settable in `tags`.
    public static let keyTag = "cbuild:key"
    static let allowedKeys = ["region", "endpoint", "name", "tags", "boot_mode", "architecture", "ena",
                              "volume_type", "concurrency"]

    public init(region: String, endpoint: String? = nil, name: String = AWSPublishConfig.defaultName,
                tags: [String: String] = [:], bootMode: String = "uefi", architecture: String = "x86_64",
                ena: Bool = true, volumeType: String = "gp3", concurrency: Int = 8) {
        self.region = region; self.endpoint = endpoint; self.name = name; self.tags = tags
        self.bootMode = bootMode; self.architecture = architecture; self.ena = ena
        self.volumeType = volumeType; self.concurrency = concurrency
    }

    /// The settings that change what is published, one per line, sorted tags.
    public var keyText: String {
        var lines = ["region=\(region)", "endpoint=\(endpoint ?? "")", "name=\(name)", "boot_mode=\(bootMode)",
                     "architecture=\(architecture)", "ena=\(ena)", "volume_type=\(volumeType)"]
        for (k, v) in tags.sorted(by: { $0.key < $1.key }) { lines.append("tag \(k)=\(v)") }
        return lines.joined(separator: "\n")
    }

    init(reading t: TableReader, base: AWSPublishConfig?) throws {
        try t.rejectUnknownKeys(allowed: Self.allowedKeys)
        self = base ?? AWSPublishConfig(region: "")
        if let r = try t.string("region") {
            guard Self.isRegion(r) else {
                throw t.invalid("region", "'\(r)' is not an AWS region", hint: "e.g. \"eu-west-1\" or \"us-east-1\"")
            }
            region = r
        }
        guard !region.isEmpty else { throw t.missing("region", expected: "the AWS region, e.g. \"eu-west-1\"") }
        if let e = try t.string("endpoint") {
            guard CacheConfig.isRemoteURL(e), let url = URL(string: e), url.path.isEmpty || url.path == "/" else {
                throw t.invalid("endpoint", "'\(e)' is not an endpoint URL", hint: "write http(s)://host[:port], e.g. \"http://127.0.0.1:5000\"")
            }
            endpoint = e.hasSuffix("/") ? String(e.dropLast()) : e
        }
        if let n = try t.string("name") {
            try PublishConfig.checkTemplate(t, "name", n, allowed: Self.isNameCharacter, allowDate: true, what: "AMI")
            guard n.count <= 100 else { throw t.invalid("name", "an AMI name has at most 128 characters; keep the template under 100") }
            name = n
        }
        if let table = try t.table("tags") {
            var tags = tags
            for entry in table.entries {
                guard case let .string(value) = entry.value else {
                    throw table.wrongType(entry.key, expected: "a string", found: entry.value)
                }
                guard !entry.key.isEmpty, entry.key.count <= 128, !entry.key.lowercased().hasPrefix("aws:") else {
                    throw table.invalid(entry.key, "'\(entry.key)' is not a tag key you may set", hint: "1 to 128 characters, not starting with 'aws:'")
                }
                guard entry.key != Self.keyTag else {
                    throw table.invalid(entry.key, "'\(Self.keyTag)' is set by cbuild to the image's content key")
                }
                guard value.count <= 256 else { throw table.invalid(entry.key, "a tag value has at most 256 characters") }
                tags[entry.key] = value
            }
            self.tags = tags
        }
        bootMode = try Self.oneOf(t, "boot_mode", Self.bootModes) ?? bootMode
        architecture = try Self.oneOf(t, "architecture", Self.architectures) ?? architecture
        volumeType = try Self.oneOf(t, "volume_type", Self.volumeTypes) ?? volumeType
        if let e = try t.boolean("ena") { ena = e }
        if let c = try t.integer("concurrency") {
            guard (1...64).contains(c) else { throw t.invalid("concurrency", "\(c) is not between 1 and 64 blocks in flight") }
            concurrency = c
        }
    }

    static func oneOf(_ t: TableReader, _ key: String, _ allowed: [String]) throws -> String? {
        guard let v = try t.string(key) else { return nil }
        guard allowed.contains(v) else {
            throw t.invalid(key, "'\(v)' is not one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "),
                            hint: Suggest.didYouMean(v, among: allowed))
        }
        return v
    }

    /// `xx-name-N` (also `us-gov-west-1`).
    static func isRegion(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, !last.isEmpty, last.allSatisfy(\.isNumber) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLowercase } }
    }

    /// What EC2 allows in an AMI name: letters, digits, `()[]./-'@_` and space.
    static func isNameCharacter(_ c: Character) -> Bool {
        (c.isASCII && (c.isLetter || c.isNumber)) || "()[]./-'_ ".contains(c)
    }
}
