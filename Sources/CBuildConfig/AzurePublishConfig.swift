import CBuildBasics
import Foundation

/// `[publish.azure]`: the page blob an `azure/NAME` node uploads the
/// target's fixed VHD to (docs/publish.md). The SAS URL (a container URL
/// with its signature) is a credential: it lives in `sas_url_file`, read
/// only when the node runs. A file `.gitignore` does not list loads with a
/// warning for every command (`BuildConfiguration.warnings`); publishing
/// the node refuses it (exit 2) and `doctor` fails on it (docs/cloud.md).
public struct AzurePublishConfig: Sendable, Hashable {
    /// The file holding the container SAS URL, relative to the build directory.
    public var sasURLFile: String
    /// Blob name template (`PublishConfig.nameTokens`, without `@DATE@`).
    public var name: String
    /// Page ranges in flight at once.
    public var concurrency: Int
    /// Run after a new upload to create the managed image (`az image create …`);
    /// gets CBUILD_BLOB_URL (without the SAS), CBUILD_BLOB_NAME, CBUILD_KEY.
    public var imageCommand: [String]?
    /// Where `sas_url_file` is set when `.gitignore` does not list the file
    /// (nil: it does). Not part of the key.
    public var unignoredAt: SourceLocation?

    /// The dotted key messages name.
    public static let sasKey = "publish.azure.sas_url_file"

    public static let defaultName = "@TARGET@-@KEY@.vhd"
    static let allowedKeys = ["sas_url_file", "name", "concurrency", "image_command"]

    public init(sasURLFile: String, name: String = AzurePublishConfig.defaultName, concurrency: Int = 8,
                imageCommand: [String]? = nil) {
        self.sasURLFile = sasURLFile; self.name = name; self.concurrency = concurrency; self.imageCommand = imageCommand
    }

    /// The settings that change what is published (not the SAS URL itself:
    /// a renewed signature for the same container publishes the same blob).
    public var keyText: String { "name=\(name)" }

    /// What is wrong with a `sas_url_file` that `.gitignore` does not list, and the fix.
    public var unignoredProblem: (problem: String, hint: String) {
        ("'\(sasURLFile)' holds a credential (a SAS URL) but .gitignore does not list it, so it could be committed",
         "add the line '\(sasURLFile)' to .gitignore")
    }

    init(reading t: TableReader, base: AzurePublishConfig?, rules: PathRules) throws {
        try t.rejectUnknownKeys(allowed: Self.allowedKeys)
        self = base ?? AzurePublishConfig(sasURLFile: "")
        if let f = try t.string("sas_url_file") {
            let path = NameRules.normalizedPath(f)
            if let violation = PathSafety.violation(path, under: rules.directory.root) {
                throw ConfigError.pathEscapes(t.location("sas_url_file"), key: t.keyName("sas_url_file"), path: f, violation: violation)
            }
            sasURLFile = path
            unignoredAt = GitIgnore(root: rules.directory.root).ignores(path) ? nil : t.location("sas_url_file")
        }
        guard !sasURLFile.isEmpty else {
            throw t.missing("sas_url_file", expected: "a git-ignored file holding the container's SAS URL, e.g. \"secrets/azure-sas-url\"")
        }
        if let n = try t.string("name") {
            try PublishConfig.checkTemplate(t, "name", n, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) },
                                            allowDate: false, what: "a blob")
            name = n
        }
        if let c = try t.integer("concurrency") {
            guard (1...64).contains(c) else { throw t.invalid("concurrency", "\(c) is not between 1 and 64 ranges in flight") }
            concurrency = c
        }
        if let cmd = try t.strings("image_command") {
            guard !cmd.isEmpty, !cmd[0].isEmpty else { throw t.invalid("image_command", "the command is empty", hint: "e.g. [\"scripts/azure-image.sh\"]") }
            imageCommand = cmd
        }
    }
}
