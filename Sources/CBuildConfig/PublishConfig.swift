/// A target's `[publish.aws]` / `[publish.azure]` tables (docs/publish.md):
/// where its raw image becomes an AMI and its fixed VHD an Azure page blob.
/// cbuild.toml may hold the same tables as defaults for every target; a
/// target's table overrides them key by key. Never holds a credential:
/// AWS keys come from the environment or `~/.aws/credentials`, the Azure
/// SAS URL from a git-ignored file that is read only when publishing.
public struct PublishConfig: Sendable, Hashable {
    public var aws: AWSPublishConfig?
    public var azure: AzurePublishConfig?

    public init(aws: AWSPublishConfig? = nil, azure: AzurePublishConfig? = nil) {
        self.aws = aws; self.azure = azure
    }

    static let allowedKeys = ["aws", "azure"]

    /// Reads `[publish]` (nil table: `base` unchanged). Keys a table leaves
    /// out keep `base`'s values; `region` must be known by the end.
    init(reading table: TableReader?, base: PublishConfig, rules: PathRules) throws {
        self = base
        guard let t = table else { return }
        try t.rejectUnknownKeys(allowed: Self.allowedKeys)
        if let a = try t.table("aws") { aws = try AWSPublishConfig(reading: a, base: base.aws) }
        if let z = try t.table("azure") { azure = try AzurePublishConfig(reading: z, base: base.azure, rules: rules) }
    }

    /// Tokens a name template may use: the target (`aws/web`), the UTC date
    /// of the upload (`20261201`), and the first 12 hex digits of the key.
    public static let nameTokens = ["@TARGET@", "@DATE@", "@KEY@"]

    /// Checks a name template: known tokens only, `@KEY@` present (names must
    /// be unique per image content), characters from `allowed`.
    static func checkTemplate(_ t: TableReader, _ key: String, _ template: String, allowed: (Character) -> Bool,
                              allowDate: Bool, what: String) throws {
        var rest = template
        for token in nameTokens { rest = rest.replacingOccurrences(of: token, with: "") }
        if let at = rest.firstIndex(of: "@") {
            let word = rest[at...].prefix { $0 != " " }
            throw t.invalid(key, "'\(word)' is not a token of \(what) names",
                            hint: "tokens: " + nameTokens.joined(separator: ", "))
        }
        guard template.contains("@KEY@") else {
            throw t.invalid(key, "the name has no @KEY@: two different images would get the same name",
                            hint: "e.g. \"@TARGET@-@DATE@-@KEY@\"")
        }
        if !allowDate && template.contains("@DATE@") {
            throw t.invalid(key, "@DATE@ would give the same image a new name every day, and it is found again by its name",
                            hint: "e.g. \"@TARGET@-@KEY@.vhd\"")
        }
        if let bad = rest.first(where: { !allowed($0) }) {
            throw t.invalid(key, "'\(bad)' cannot be part of \(what) name")
        }
    }

    /// Replaces the tokens.
    public static func render(_ template: String, target: String, date: String, keyPrefix: String) -> String {
        template.replacingOccurrences(of: "@TARGET@", with: target)
            .replacingOccurrences(of: "@DATE@", with: date)
            .replacingOccurrences(of: "@KEY@", with: keyPrefix)
    }
}
