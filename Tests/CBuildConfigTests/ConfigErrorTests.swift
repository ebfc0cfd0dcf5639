import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildConfig

/// One way to get a build directory wrong and where the error must point.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [String: String?]
    var file: String
    var line: Int?
    var key: String?
    var contains: String
    var testDescription: String { name }
}

private func web(_ extra: String, replacing: String? = nil) -> String {
    var lines = [
        "stage = 4",
        "seed = \"stage4/base\"",
        "profile = \"default/linux/amd64/23.0\"",
        "subarch = \"amd64\"",
        "features = [\"ssh\"]",
        "packages = [\"www-servers/nginx\"]",
    ]
    if let replacing { lines.removeAll { $0.hasPrefix(replacing + " ") } }
    return (lines + [extra]).joined(separator: "\n") + "\n"
}

private let cbuild = ConfigFixtures.cbuildToml

@Suite struct ConfigErrorTests {
    static let cases: [BadInput] = [
        BadInput(name: "malformed TOML", files: ["targets/web.toml": "stage = 4\nseed = \"stage4/base\nprofile = 1\n"],
                 file: "targets/web.toml", line: 2, key: nil, contains: "malformed TOML"),
        BadInput(name: "unknown key", files: ["targets/web.toml": web("pakages = [\"a/b\"]")],
                 file: "targets/web.toml", line: 7, key: "pakages", contains: "unknown key 'pakages'"),
        BadInput(name: "unknown key in an inline table", files: ["targets/web.toml": web("kernel = { confg = \"kernel/vm.config\" }")],
                 file: "targets/web.toml", line: 7, key: "kernel.confg", contains: "unknown key 'kernel.confg'"),
        BadInput(name: "unknown section in cbuild.toml", files: ["cbuild.toml": cbuild + "[catalyts]\njobs = 2\n"],
                 file: "cbuild.toml", line: 16, key: "catalyts", contains: "unknown key 'catalyts'"),
        BadInput(name: "string where an array belongs", files: ["targets/web.toml": web("packages = \"www-servers/nginx\"", replacing: "packages")],
                 file: "targets/web.toml", line: 6, key: "packages", contains: "expected an array of strings, found a string"),
        BadInput(name: "number inside a list", files: ["targets/web.toml": web("use = [\"ipv6\", 3]")],
                 file: "targets/web.toml", line: 7, key: "use", contains: "expected an array of strings"),
        BadInput(name: "flavor 5", files: ["cbuild.toml": cbuild.replacingOccurrences(of: "flavor = 4", with: "flavor = 5")],
                 file: "cbuild.toml", line: 6, key: "catalyst.flavor", contains: "5 is not a catalyst flavour"),
        BadInput(name: "stage 7", files: ["targets/web.toml": "subarch = \"amd64\"\nstage = 7\n"],
                 file: "targets/web.toml", line: 2, key: "stage", contains: "7 is not a stage"),
        BadInput(name: "diskimage on flavour 3",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "flavor = 4", with: "flavor = 3"),
                         "targets/web.toml": web("", replacing: "stage").replacingOccurrences(of: "seed =", with: "stage = \"diskimage\"\nseed =")],
                 file: "targets/web.toml", line: 1, key: "stage", contains: "flavour 3 has no diskimage"),
        BadInput(name: "role with a slash", files: ["targets/web.toml": web("snapshot = \"stable/old\"")],
                 file: "targets/web.toml", line: 7, key: "snapshot", contains: "'stable/old' is not a valid role name"),
        BadInput(name: "missing required key", files: ["targets/web.toml": web("", replacing: "profile")],
                 file: "targets/web.toml", line: 1, key: "profile", contains: "missing key 'profile'"),
        BadInput(name: "seed that is no node", files: ["targets/web.toml": web("", replacing: "seed") + "seed = \"amd64\"\n"],
                 file: "targets/web.toml", line: 7, key: "seed", contains: "names neither a seed nor a target node"),
        BadInput(name: "missing spec template", files: ["targets/web.toml": web("spec = \"specs/nope.spec\"")],
                 file: "targets/web.toml", line: 7, key: "spec", contains: "'specs/nope.spec' is not an existing file"),
        BadInput(name: "spec template is a directory", files: ["targets/web.toml": web("spec = \"specs\"")],
                 file: "targets/web.toml", line: 7, key: "spec", contains: "is not an existing file"),
        BadInput(name: "missing kernel config", files: ["targets/web.toml": web("kernel = { config = \"kernel/nope.config\" }")],
                 file: "targets/web.toml", line: 7, key: "kernel.config", contains: "'kernel/nope.config'"),
        BadInput(name: "missing portage dir", files: ["features/base.toml": "\nportage = \"portage/base\"\n"],
                 file: "features/base.toml", line: 2, key: "portage", contains: "is not an existing directory"),
        BadInput(name: "missing overlay dir", files: ["features/base.toml": "overlay = \"overlays/none\"\n"],
                 file: "features/base.toml", line: 1, key: "overlay", contains: "'overlays/none'"),
        BadInput(name: "missing fsscript", files: ["features/base.toml": "fsscript = \"scripts/none.sh\"\n"],
                 file: "features/base.toml", line: 1, key: "fsscript", contains: "'scripts/none.sh'"),
        BadInput(name: "missing keyring file",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "keys/test.asc", with: "keys/gentoo-release.asc")],
                 file: "cbuild.toml", line: 11, key: "snapshots.keyring", contains: "'keys/gentoo-release.asc'"),
        BadInput(name: "missing conf template",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "flavor = 4", with: "flavor = 4\nconf_template = \"templates/catalyst.conf\"")],
                 file: "cbuild.toml", line: 7, key: "catalyst.conf_template", contains: "'templates/catalyst.conf'"),
        BadInput(name: "path with ..", files: ["features/ssh.toml": "requires = [\"base\"]\nportage = \"portage/../../etc\"\n"],
                 file: "features/ssh.toml", line: 2, key: "portage", contains: "'..' is not allowed"),
        BadInput(name: "absolute path", files: ["targets/web.toml": web("spec = \"/etc/passwd\"")],
                 file: "targets/web.toml", line: 7, key: "spec", contains: "absolute paths are not allowed"),
        BadInput(name: "plain http mirror",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "file:///srv/mirror", with: "http://mirror.example")],
                 file: "cbuild.toml", line: 10, key: "snapshots.mirrors", contains: "plain http mirror"),
        BadInput(name: "unknown catalyst option",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "flavor = 4", with: "flavor = 4\noptions = [\"pkgcahce\"]")],
                 file: "cbuild.toml", line: 7, key: "catalyst.options", contains: "'pkgcahce' is not a catalyst options value"),
        BadInput(name: "seed without arch",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "arch = \"amd64\"\n", with: "")],
                 file: "cbuild.toml", line: 13, key: "seeds.amd64-openrc.arch", contains: "missing key 'seeds.amd64-openrc.arch'"),
        BadInput(name: "unknown feature", files: ["targets/web.toml": web("", replacing: "features") + "features = [\"base\", \"shh\"]\n"],
                 file: "targets/web.toml", line: 7, key: "features", contains: "unknown feature 'shh'"),
        BadInput(name: "unknown seed", files: ["targets/base.toml": "stage = 4\nseed = \"seed/amd64-systemd\"\nprofile = \"p/q\"\nsubarch = \"amd64\"\n"],
                 file: "targets/base.toml", line: 2, key: "seed", contains: "unknown seed 'amd64-systemd'"),
        BadInput(name: "unknown seed target node", files: ["targets/web.toml": web("", replacing: "seed") + "seed = \"stage3/base\"\n"],
                 file: "targets/web.toml", line: 7, key: "seed", contains: "unknown target node 'stage3/base'"),
        BadInput(name: "unknown fleet member", files: ["fleets/canary.toml": "members = [\"base\",\n  \"wbe\"]\n"],
                 file: "fleets/canary.toml", line: 2, key: "members", contains: "unknown target 'wbe'"),
        BadInput(name: "unknown override feature", files: ["fleets/canary.toml": "members = [\"web\"]\n[overrides]\nfeatures = [\"debug\"]\n"],
                 file: "fleets/canary.toml", line: 3, key: "overrides.features", contains: "unknown feature 'debug'"),
        BadInput(name: "unknown default node",
                 files: ["cbuild.toml": cbuild.replacingOccurrences(of: "default = [\"all\"]", with: "default = [\"fleet/canry\"]")],
                 file: "cbuild.toml", line: 3, key: "project.default", contains: "unknown node 'fleet/canry'"),
        BadInput(name: "unknown nightly optional node",
                 files: ["cbuild.toml": cbuild + "[nightly]\ntargets = [\"all\"]\noptional = [\"stage4/webb\"]\n"],
                 file: "cbuild.toml", line: 18, key: "nightly.optional", contains: "unknown node 'stage4/webb'"),
        BadInput(name: "feature requires cycle", files: ["features/base.toml": "requires = [\"ssh\"]\n"],
                 file: "features/ssh.toml", line: 1, key: "requires", contains: "features: base -> ssh -> base"),
        BadInput(name: "feature requiring itself", files: ["features/base.toml": "packages = []\nrequires = [\"base\"]\n"],
                 file: "features/base.toml", line: 2, key: "requires", contains: "features: base -> base"),
        BadInput(name: "target seed cycle", files: ["targets/base.toml": "stage = 4\nseed = \"stage4/web\"\nprofile = \"p/q\"\nsubarch = \"amd64\"\n"],
                 file: "targets/web.toml", line: 2, key: "seed", contains: "target seeds: stage4/base -> stage4/web -> stage4/base"),
        BadInput(name: "duplicate node names", files: ["targets/Web.toml": web("")],
                 file: "targets/web.toml", line: 1, key: "stage", contains: "node 'stage4/web' is also defined by targets/Web.toml"),
        BadInput(name: "variable shadowing a built-in token", files: ["targets/web.toml": web("[vars]\nSEED = \"x\"")],
                 file: "targets/web.toml", line: 8, key: "vars.SEED", contains: "'SEED' is a built-in token"),
        BadInput(name: "lower-case variable", files: ["targets/web.toml": web("[vars]\nhost = \"x\"")],
                 file: "targets/web.toml", line: 8, key: "vars.host", contains: "'host' is not a variable name"),
        BadInput(name: "spec_extra number", files: ["targets/web.toml": web("[spec_extra]\n\"stage4/rcdel\" = 3")],
                 file: "targets/web.toml", line: 8, key: #"spec_extra."stage4/rcdel""#, contains: "expected a string or an array of strings, found an integer"),
        BadInput(name: "spec_extra value with #", files: ["targets/web.toml": web("[spec_extra]\n\"stage4/motd\" = \"a # b\"")],
                 file: "targets/web.toml", line: 8, key: #"spec_extra."stage4/motd""#, contains: "contains '#'"),
        BadInput(name: "package that is no atom", files: ["targets/web.toml": web("", replacing: "packages") + "packages = [\n  \"vim\",\n]\n"],
                 file: "targets/web.toml", line: 8, key: "packages", contains: "'vim' is not a package atom"),
        BadInput(name: "service with spaces", files: ["features/base.toml": "services = [\"sshd | default\"]\n"],
                 file: "features/base.toml", line: 1, key: "services", contains: "is not a service"),
        BadInput(name: "target file name with a space", files: ["targets/my web.toml": web("")],
                 file: "targets/my web.toml", line: nil, key: nil, contains: "'my web' is not a valid target name"),
    ]

    @Test(arguments: cases)
    func badInputIsReportedAtItsPlace(_ input: BadInput) throws {
        let dir = try fixture(input.files)
        defer { dir.remove() }
        expectLoadError(dir, file: input.file, line: input.line, key: input.key, contains: input.contains)
    }

    @Test func unknownNamesSuggestTheClosest() throws {
        let dir = try fixture(["targets/web.toml": web("", replacing: "features") + "features = [\"shh\"]\n",
                               "cbuild.toml": cbuild + "[catalyts]\n"])
        defer { dir.remove() }
        let topLevel = expectLoadError(dir, file: "cbuild.toml", line: 16, key: "catalyts", contains: "catalyts")
        #expect(topLevel?.hint == "did you mean 'catalyst'?")
        try dir.write("cbuild.toml", cbuild)
        let feature = expectLoadError(dir, file: "targets/web.toml", line: 7, key: "features", contains: "shh")
        #expect(feature?.hint == "did you mean 'ssh'?")
        #expect(feature?.location?.column == 13)
    }

    @Test func nestedKeysRunlevelsAndUnterminatedStringsAreToldPlainly() throws {
        let dir = try fixture(["targets/web.toml": web("kernel = { confg = \"kernel/vm.config\" }")])
        defer { dir.remove() }
        let nested = expectLoadError(dir, file: "targets/web.toml", line: 7, key: "kernel.confg", contains: "unknown key 'kernel.confg'")
        #expect(nested?.hint == "did you mean 'config'?", "\(String(describing: nested?.hint))")
        try dir.write("targets/web.toml", web("services = [\"sshd|defualt\"]"))
        let runlevel = expectLoadError(dir, file: "targets/web.toml", line: 7, key: "services", contains: "'defualt' in 'sshd|defualt' is not an OpenRC runlevel")
        #expect(runlevel?.hint == "did you mean 'default'?")
        try dir.write("targets/web.toml", web("description = \"a web server"))
        expectLoadError(dir, file: "targets/web.toml", line: 7, key: nil, contains: "unterminated string")
        try dir.write("targets/web.toml", web("services = [\"sshd|boot\", \"cronie|default\"]"))
        #expect(throws: Never.self) { try BuildConfiguration.load(try BuildDirectory.discover(from: dir.path, explicit: nil)) }
    }

    @Test func symlinkLeadingOutIsRefused() throws {
        let outside = try TemporaryDirectory(prefix: "cbuild-outside")
        defer { outside.remove() }
        try outside.write("package.use/x", "a/b c\n")
        let dir = try fixture(["features/ssh.toml": "requires = [\"base\"]\nportage = \"portage/ssh\"\n"])
        defer { dir.remove() }
        try FileManager.default.removeItem(atPath: dir.path + "/portage/ssh")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/portage/ssh", withDestinationPath: outside.path)
        let error = expectLoadError(dir, file: "features/ssh.toml", line: 2, key: "portage", contains: "a symlink leads outside")
        guard case .pathEscapes(_, _, _, .symlinkOutside)? = error else {
            Issue.record("expected a symlink violation, got \(String(describing: error))")
            return
        }
    }

    @Test func symlinkInsideTheDirectoryIsFine() throws {
        let dir = try fixture(["features/ssh.toml": "requires = [\"base\"]\nportage = \"portage/alias\"\n"])
        defer { dir.remove() }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/portage/alias", withDestinationPath: "ssh")
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(config.features["ssh"]?.portage == "portage/alias")
    }

    @Test func targetFileSymlinkedFromOutsideIsRefused() throws {
        let outside = try TemporaryDirectory(prefix: "cbuild-outside")
        defer { outside.remove() }
        let file = try outside.write("evil.toml", web(""))
        let dir = try fixture()
        defer { dir.remove() }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/targets/evil.toml", withDestinationPath: file)
        expectLoadError(dir, file: "targets/evil.toml", line: nil, key: nil, contains: "a symlink leads outside")
    }

    @Test func theSameDirectoryAlwaysReportsTheSameFirstError() throws {
        let dir = try fixture(["features/base.toml": "pakages = []\n",
                               "targets/web.toml": web("stgae = 4"),
                               "fleets/canary.toml": "members = [\"nobody\"]\n"])
        defer { dir.remove() }
        for _ in 0..<3 {
            expectLoadError(dir, file: "features/base.toml", line: 1, key: "pakages", contains: "unknown key 'pakages'")
        }
    }
}
