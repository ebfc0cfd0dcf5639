import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildConfig

@Suite struct BuildDirectoryTests {
    @Test func walksUpToTheNearestCbuildToml() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-discover")
        defer { dir.remove() }
        try dir.write("cbuild.toml", "")
        try dir.write("a/b/c/file", "")
        try dir.write("a/inner/cbuild.toml", "")
        try dir.write("a/inner/deeper/file", "")
        let real = PathSafety.realPath(dir.path)!
        #expect(try BuildDirectory.discover(from: dir.path + "/a/b/c", explicit: nil).root == real)
        #expect(try BuildDirectory.discover(from: dir.path, explicit: nil).root == real)
        #expect(try BuildDirectory.discover(from: dir.path + "/a/inner/deeper", explicit: nil).root == real + "/a/inner")
    }

    @Test func rootHasSymlinksResolved() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-discover")
        defer { dir.remove() }
        try dir.write("real/cbuild.toml", "")
        try dir.write("real/sub/x", "")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: dir.path + "/real")
        let found = try BuildDirectory.discover(from: dir.path + "/link/sub", explicit: nil)
        #expect(found.root == PathSafety.realPath(dir.path + "/real"))
    }

    @Test func explicitDirectoryIsUsedAsGiven() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-discover")
        defer { dir.remove() }
        try dir.write("cbuild.toml", "")
        try dir.write("other/cbuild.toml", "")
        let real = PathSafety.realPath(dir.path)!
        #expect(try BuildDirectory.discover(from: dir.path, explicit: "other").root == real + "/other")
        #expect(try BuildDirectory.discover(from: "/", explicit: dir.path + "/other/").root == real + "/other")
    }

    @Test func explicitDirectoryWithoutCbuildTomlIsAnError() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-discover")
        defer { dir.remove() }
        try dir.write("cbuild.toml", "")
        try dir.write("empty/x", "")
        // -C does not walk up: the named directory itself must hold cbuild.toml.
        for explicit in ["empty", "missing"] {
            do {
                _ = try BuildDirectory.discover(from: dir.path, explicit: explicit)
                Issue.record("-C \(explicit) was accepted")
            } catch let error as ConfigError {
                #expect(error.exitStatus == .usage)
                #expect(error.description.contains(explicit))
                #expect(error.hint?.contains("cbuild init") == true)
            }
        }
    }

    @Test func outsideAnyBuildDirectoryIsAnError() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-discover")
        defer { dir.remove() }
        try dir.write("a/b/file", "")
        do {
            _ = try BuildDirectory.discover(from: dir.path + "/a/b", explicit: nil)
            Issue.record("found a build directory above \(dir.path)")
        } catch let error as ConfigError {
            guard case .notABuildDirectory = error else { Issue.record("\(error)"); return }
            #expect(error.exitStatus == .usage)
            #expect(error.message.contains(dir.path + "/a/b"))
        }
    }

    @Test func namesItsParts() {
        let dir = BuildDirectory(root: "/srv/fleet/")
        #expect(dir.root == "/srv/fleet")
        #expect(dir.configFile == "/srv/fleet/cbuild.toml")
        #expect(dir.cacheDirectory == "/srv/fleet/.cache")
        #expect(dir.artifactsDirectory == "/srv/fleet/artifacts")
        #expect(dir.path("targets/vm/test.toml") == "/srv/fleet/targets/vm/test.toml")
    }
}
