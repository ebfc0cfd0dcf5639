import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildConfig

@Suite struct SkeletonTests {
    @Test func writesADirectoryThatLoads() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-init")
        defer { dir.remove() }
        let target = dir.path + "/My Fleet"
        let written = try Skeleton.write(into: target)
        #expect(Set(written) == ["cbuild.toml", "targets/example.toml", "features/base.toml", "specs/stage4.spec",
                                 "keys/README.md", ".gitignore"])
        for file in written { #expect(FileManager.default.fileExists(atPath: target + "/" + file)) }
        let gitignore = try String(contentsOfFile: target + "/.gitignore", encoding: .utf8)
        #expect(gitignore.contains("artifacts/") && gitignore.contains(".cache/"))

        let config = try BuildConfiguration.load(try BuildDirectory.discover(from: target + "/targets", explicit: nil))
        #expect(config.project.name == "My-Fleet")
        #expect(config.targets.keys.sorted() == ["example"])
        #expect(config.features.keys.sorted() == ["base"])
        let example = try config.resolve(target: "example", fleet: nil)
        #expect(example.nodeName == "stage4/example")
        #expect(example.seed == .seed("amd64-openrc"))
        #expect(example.specTemplate == "specs/stage4.spec")
        #expect(example.packages.contains("app-editors/vim") && example.packages.contains("app-admin/sysklogd"))
    }

    @Test func aDirectoryHoldingOnlyGitIsEmptyEnough() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-init")
        defer { dir.remove() }
        try dir.write(".git/HEAD", "ref: refs/heads/main\n")
        try Skeleton.write(into: dir.path)
        _ = try BuildConfiguration.load(BuildDirectory(root: dir.path))
    }

    @Test func refusesANonEmptyDirectoryAndWritesNothing() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-init")
        defer { dir.remove() }
        try dir.write("notes.txt", "mine")
        let before = treeListing(dir.path)
        #expect(throws: ConfigError.directoryNotEmpty(path: dir.path)) { try Skeleton.write(into: dir.path) }
        #expect(ConfigError.directoryNotEmpty(path: dir.path).exitStatus == .usage)
        #expect(treeListing(dir.path) == before)
    }
}
