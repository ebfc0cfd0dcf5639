import CBuildBasics
import CBuildTestSupport
import Testing
@testable import CBuildConfig

private func web(_ extra: String, images: String = "[\"raw\", \"vhd\"]") -> String {
    "stage = 4\nseed = \"seed/amd64-openrc\"\nprofile = \"default/linux/amd64/23.0\"\nsubarch = \"amd64\"\nimages = \(images)\n" + extra + "\n"
}

/// `[publish.aws]` / `[publish.azure]` in a target and in cbuild.toml.
@Suite struct PublishConfigTests {
    @Test func everyKeyIsReadAndTheTargetOverridesCbuildTomlKeyByKey() throws {
        let dir = try fixture([
            "cbuild.toml": ConfigFixtures.cbuildToml + "[publish.aws]\nregion = \"us-east-1\"\ntags = { team = \"infra\" }\nconcurrency = 4\n",
            ".gitignore": "/.secrets/\n",
            "targets/vm/web.toml": web("""
                [publish.aws]
                region = "eu-west-1"
                endpoint = "http://127.0.0.1:5000/"
                name = "gentoo-@TARGET@-@KEY@"
                tags = { role = "web" }
                boot_mode = "uefi-preferred"
                architecture = "arm64"
                ena = false
                volume_type = "gp2"
                [publish.azure]
                sas_url_file = ".secrets/sas"
                name = "images/@KEY@.vhd"
                concurrency = 2
                image_command = ["scripts/azure-image.sh", "--gen2"]
                """),
        ])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let aws = try #require(config.targets["vm/web"]?.publish.aws)
        #expect(aws == AWSPublishConfig(region: "eu-west-1", endpoint: "http://127.0.0.1:5000", name: "gentoo-@TARGET@-@KEY@",
                                        tags: ["team": "infra", "role": "web"], bootMode: "uefi-preferred",
                                        architecture: "arm64", ena: false, volumeType: "gp2", concurrency: 4))
        let azure = try #require(config.targets["vm/web"]?.publish.azure)
        #expect(azure == AzurePublishConfig(sasURLFile: ".secrets/sas", name: "images/@KEY@.vhd", concurrency: 2,
                                            imageCommand: ["scripts/azure-image.sh", "--gen2"]))
        // cbuild.toml's table alone applies to every target.
        #expect(config.targets["base"]?.publish.aws == AWSPublishConfig(region: "us-east-1", tags: ["team": "infra"], concurrency: 4))
        #expect(config.targets["base"]?.publish.azure == nil)
        #expect(try config.resolve(target: "vm/web", fleet: nil).publish.aws == aws)
        #expect(config.isKnownNodeName("ami/vm/web") && config.isKnownNodeName("azure/vm/web"))
    }

    @Test func theKeyTextHoldsWhatChangesTheImageButNotConcurrency() {
        let a = AWSPublishConfig(region: "eu-west-1", tags: ["b": "2", "a": "1"])
        var b = a; b.concurrency = 32
        #expect(a.keyText == b.keyText)
        var c = a; c.ena = false
        #expect(a.keyText != c.keyText)
        #expect(a.keyText.contains("tag a=1\ntag b=2"))
    }

    static let bad: [(String, String, String, Int, String?, String)] = [
        ("unknown key", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nregoin = \"x\""), 8, "publish.aws.regoin", "unknown key 'publish.aws.regoin'"),
        ("unknown provider", "targets/vm/web.toml", web("[publish.gcp]\nregion = \"x\""), 6, "publish.gcp", "unknown key 'publish.gcp'"),
        ("no region", "targets/vm/web.toml", web("[publish.aws]\ntags = { a = \"b\" }"), 6, "publish.aws.region", "the AWS region"),
        ("bad region", "targets/vm/web.toml", web("[publish.aws]\nregion = \"Ireland\""), 7, "publish.aws.region", "'Ireland' is not an AWS region"),
        ("endpoint with a path", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nendpoint = \"http://h/x?y\""), 8, "publish.aws.endpoint", "is not an endpoint URL"),
        ("name without @KEY@", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nname = \"@TARGET@-@DATE@\""), 8, "publish.aws.name", "has no @KEY@"),
        ("unknown token", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nname = \"@KEY@-@SNAPSHOT@\""), 8, "publish.aws.name", "'@SNAPSHOT@' is not a token"),
        ("bad AMI character", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nname = \"@KEY@*\""), 8, "publish.aws.name", "'*' cannot be part of"),
        ("reserved tag", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\ntags = { \"cbuild:key\" = \"x\" }"), 8, nil, "set by cbuild"),
        ("aws: tag", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\ntags = { \"aws:x\" = \"y\" }"), 8, nil, "not a tag key you may set"),
        ("legacy boot", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nboot_mode = \"legacy-bios\""), 8, "publish.aws.boot_mode", "'legacy-bios' is not one of"),
        ("concurrency", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"\nconcurrency = 0"), 8, "publish.aws.concurrency", "not between 1 and 64"),
        ("aws without raw", "targets/vm/web.toml", web("[publish.aws]\nregion = \"eu-west-1\"", images: "[\"qcow2\"]"), 6, "publish.aws", "needs a raw image"),
        ("azure without vhd", "targets/vm/web.toml", web("[publish.azure]\nsas_url_file = \".secrets/sas\"", images: "[\"raw\"]"), 6, "publish.azure", "needs a vhd image"),
        ("SAS file outside", "targets/vm/web.toml", web("[publish.azure]\nsas_url_file = \"../sas.txt\""), 7, "publish.azure.sas_url_file", "'..' is not allowed"),
        ("no SAS file", "targets/vm/web.toml", web("[publish.azure]\nconcurrency = 2"), 6, "publish.azure.sas_url_file", "SAS URL"),
        ("blob name with a date", "targets/vm/web.toml", web("[publish.azure]\nsas_url_file = \".secrets/sas\"\nname = \"@DATE@-@KEY@.vhd\""), 8, "publish.azure.name", "a new name every day"),
        ("in cbuild.toml", "cbuild.toml", ConfigFixtures.cbuildToml + "[publish.aws]\nregion = \"eu-west-1\"\nboot_mod = \"uefi\"\n", 18, "publish.aws.boot_mod", "unknown key"),
    ]

    @Test(arguments: 0..<bad.count)
    func badPublishSettingsAreReportedAtTheirKey(_ index: Int) throws {
        let (_, file, contents, line, key, message) = Self.bad[index]
        let path = file == "cbuild.toml" ? "cbuild.toml" : "targets/vm/web.toml"
        let dir = try fixture([path: contents, ".gitignore": ".secrets/\n"])
        defer { dir.remove() }
        expectLoadError(dir, file: file, line: line, key: key, contains: message)
    }

    /// A SAS URL file git does not ignore no longer stops every command: the
    /// directory loads, the table remembers where the file is named, and the
    /// configuration carries one warning per table naming it (publishing
    /// refuses it: PublishCommandTests).
    @Test func aSASFileGitDoesNotIgnoreLoadsWithOneWarningPerTableAtItsKey() throws {
        let dir = try fixture([
            "cbuild.toml": ConfigFixtures.cbuildToml + "[publish.azure]\nsas_url_file = \"shared-sas.txt\"\n",
            "targets/vm/web.toml": web("[publish.azure]\nsas_url_file = \"sas.txt\""),
            "targets/vm/db.toml": web("", images: "[\"vhd\"]"),
            ".gitignore": ".secrets/\n",
        ])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let web = try #require(config.targets["vm/web"]?.publish.azure)
        #expect(web.sasURLFile == "sas.txt")
        #expect(web.unignoredAt?.file == "targets/vm/web.toml" && web.unignoredAt?.line == 7)
        // vm/db and base inherit cbuild.toml's table: one warning for it, at cbuild.toml.
        #expect(config.targets["vm/db"]?.publish.azure?.unignoredAt?.file == "cbuild.toml")
        let warnings = config.warnings
        #expect(warnings.map { $0.location?.description ?? "" } == ["cbuild.toml:17:1", "targets/vm/web.toml:7:1"], "\(warnings)")
        #expect(warnings.allSatisfy { $0.severity == .warning })
        #expect(warnings.last?.message == "key 'publish.azure.sas_url_file': 'sas.txt' holds a credential (a SAS URL) but .gitignore does not list it, so it could be committed; publishing refuses it")
        #expect(warnings.last?.hint == "add the line 'sas.txt' to .gitignore")

        // Listed: no warning.
        _ = try dir.write(".gitignore", ".secrets/\nsas.txt\n*-sas.txt\n")
        let listed = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(listed.warnings.isEmpty)
        #expect(listed.targets["vm/web"]?.publish.azure?.unignoredAt == nil)
    }

    @Test func aMisspeltKeyGetsASuggestion() throws {
        let dir = try fixture(["targets/vm/web.toml": web("[publish.aws]\nregion = \"eu-west-1\"\nboot_mod = \"uefi\"")])
        defer { dir.remove() }
        let error = expectLoadError(dir, file: "targets/vm/web.toml", line: 8, key: "publish.aws.boot_mod", contains: "unknown key")
        #expect(error?.hint == "did you mean 'boot_mode'?")
    }

    @Test(arguments: [
        ([".secrets/"], ".secrets/sas", true), (["/.secrets/"], ".secrets/sas", true), (["*.sas"], "keys/azure.sas", true),
        (["sas.txt"], "deep/sas.txt", true), (["/sas.txt"], "deep/sas.txt", false), ([".secrets"], ".secrets/sas", true),
        ([".secrets/", "!.secrets/sas"], ".secrets/sas", false), (["# .secrets/"], ".secrets/sas", false), ([], "sas", false),
        (["secrets/"], "secrets", false),
    ])
    func gitignorePatterns(patterns: [String], path: String, ignored: Bool) {
        #expect(GitIgnore(patterns: patterns.filter { !$0.hasPrefix("#") }).ignores(path) == ignored)
    }
}
