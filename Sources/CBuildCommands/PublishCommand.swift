import ArgumentParser
import CBuildGraph
import CBuildPublish

/// `cbuild publish NODE…`: builds publish nodes (`ami/NAME`, `azure/NAME`)
/// and what they need; short for `cbuild build ami/NAME`.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish images: build ami/NAME (AWS) and azure/NAME (Azure) nodes.",
        discussion: """
            Uploads only what is not published yet: an image is found again by its
            content key (docs/publish.md). AWS credentials come from the environment
            or ~/.aws/credentials (AWS_PROFILE); Azure's SAS URL from [publish.azure]
            sas_url_file.
            Examples:
              cbuild publish ami/aws/web
              cbuild publish -n ami/aws/web azure/azure/web   what would be uploaded
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .short, help: "Run up to N catalyst builds at once (default: [catalyst] jobs).") var jobs: Int?
    @Flag(name: [.customShort("k"), .long], help: "Keep going: publish what does not depend on a failed node.") var keepGoing = false
    @Flag(name: [.customShort("n"), .long], help: "Dry run: show what would run, run nothing.") var dryRun = false
    @Option(help: ArgumentHelp("Catalyst command to run instead of [catalyst] command.", valueName: "CMD")) var catalyst: String?
    @Argument(help: "Publish nodes: ami/NAME, azure/NAME.") var nodes: [String]

    func validate() throws {
        if nodes.isEmpty { throw ValidationError("name the publish nodes, e.g. cbuild publish ami/aws/web") }
        if let bad = nodes.first(where: { !PublishNodes.isPublishNode(NodeID($0)) }) {
            throw ValidationError("'\(bad)' is not a publish node; publish nodes are ami/NAME and azure/NAME (build others with `cbuild \(bad)`)")
        }
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
    }

    func run() async throws {
        try await BuildCommand.build(global: global, nodes: nodes, jobs: jobs, keepGoing: keepGoing, dryRun: dryRun,
                                     noDeps: false, catalyst: catalyst)
    }
}

extension PublishCommand: PrintsData {}
