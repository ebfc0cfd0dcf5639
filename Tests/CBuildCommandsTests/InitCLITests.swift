import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// `cbuild init` in a build directory (both catalyst flavours), in an empty
/// directory, and after the directory moved.
@Suite struct InitCLITests {
    func mtime(_ path: String) throws -> Int64 { try FileStat.of(path).mtimeNs }

    @Test func flavourFourRendersTOMLAndASecondRunRewritesNothing() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let first = try ex.cbuild(["init"])
        #expect(first.status == 0, "\(first)")
        let conf = ex.path + "/.cache/catalyst/catalyst.conf", rc = ex.path + "/.cache/catalyst/catalystrc"
        let text = try String(contentsOfFile: conf, encoding: .utf8)
        #expect(text.contains("options = [\"pkgcache\", \"kerncache\", \"seedcache\"]"))
        #expect(text.contains("digests = [\"blake2b\", \"sha512\"]"))
        #expect(text.contains("storedir = \"\(ex.path)/artifacts\""))
        #expect(text.contains("envscript = \"\(ex.path)/.cache/catalyst/catalystrc\""))
        #expect(!text.contains("portdir"))
        let (m1, m2) = (try mtime(conf), try mtime(rc))
        usleep(20_000)
        let second = try ex.cbuild(["init"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("unchanged .cache/catalyst/catalyst.conf"), "\(second)")
        #expect(try mtime(conf) == m1 && mtime(rc) == m2, "a second init rewrites nothing")
        // The simulator (which rejects keys catalyst 4 does not know) accepts it.
        let sim = try SystemProcessRunner().run([BuiltProducts.path("catalyst-sim"), "-c", conf, "-f", "/dev/null"],
                                                environment: ["PATH": "/usr/bin:/bin"], currentDirectory: nil, input: nil)
        #expect(!sim.stdoutString.contains("Unknown configuration key") && !sim.stderrString.contains("Unknown"), "\(sim.stdoutString)\(sim.stderrString)")
    }

    @Test func flavourThreeRendersShellStyle() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let toml = try String(contentsOfFile: ex.path + "/cbuild.toml", encoding: .utf8)
        try toml.replacingOccurrences(of: "flavor = 4", with: "flavor = 3")
            .write(toFile: ex.path + "/cbuild.toml", atomically: true, encoding: .utf8)
        let r = try ex.cbuild(["init"])
        #expect(r.status == 0, "\(r)")
        let text = try String(contentsOfFile: ex.path + "/.cache/catalyst/catalyst.conf", encoding: .utf8)
        #expect(text.contains("portdir=\"/var/db/repos/portage\""))
        #expect(text.contains("repo_name=\"portage\""))
        #expect(text.contains("storedir=\"\(ex.path)/artifacts\""))
        #expect(text.contains("options=\"pkgcache kerncache seedcache\""))
        #expect(text.contains("digests=\"blake2 sha512\""))
    }

    @Test func aCopiedDirectorySaysSoOnceAndReRenders() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        #expect(try ex.cbuild(["init"]).status == 0)
        let moved = try TemporaryDirectory(prefix: "cbuild-copy"); defer { moved.remove() }
        try FileManager.default.removeItem(atPath: moved.path)
        #expect(try SystemProcessRunner().run(["cp", "-a", ex.path, moved.path]).succeeded)
        let r = try CLI.run(["status"], in: moved.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.components(separatedBy: "build directory moved or copied to \(moved.path);").count == 2, "\(r)")
        let conf = try String(contentsOfFile: moved.path + "/.cache/catalyst/catalyst.conf", encoding: .utf8)
        #expect(conf.contains("storedir = \"\(moved.path)/artifacts\""))
        let again = try CLI.run(["status"], in: moved.path)
        #expect(!again.stderr.contains("moved"), "said once")
    }

    @Test func anEmptyDirectoryGetsAWorkingSkeleton() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let r = try CLI.run(["init"], in: dir.path)
        #expect(r.status == 0, "\(r)")
        for f in ["cbuild.toml", "targets/example.toml", "features/base.toml", "specs/stage4.spec", "keys/README.md", ".gitignore",
                  ".cache/catalyst/catalyst.conf"] {
            #expect(dir.exists(f), "\(f)")
        }
        let ignore = try dir.read(".gitignore")
        #expect(ignore.contains("artifacts/") && ignore.contains(".cache/"))
        let explain = try CLI.run(["graph", "--format", "json"], in: dir.path)
        #expect(explain.status == 0, "\(explain)")
        #expect(explain.stdout.contains("stage4/example"))
    }

    @Test func aNonEmptyDirectoryThatIsNotABuildDirectoryIsRefused() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        try dir.write("notes.txt", "mine\n")
        let r = try CLI.run(["init"], in: dir.path)
        #expect(r.status == 2, "\(r)")
        #expect(!dir.exists("cbuild.toml") && !dir.exists(".cache"))
    }

    @Test func badConfigurationExitsTwoAndWritesNothing() throws {
        let cases: [(String, String, String)] = [
            ("cbuild.toml", "[project\nname = 1\n", "cbuild.toml:1"),
            ("features/ssh.toml", "requires = [\"base\"]\npackagez = [\"a/b\"]\n", "did you mean 'packages'"),
            ("targets/vm/test.toml", "stage = 4\nseed = \"seed/amd64-openrc\"\nprofile = \"p\"\nsubarch = \"amd64\"\nspec = \"../etc/passwd\"\n", "targets/vm/test.toml:5"),
            ("features/base.toml", "requires = [\"ssh\"]\n", "base -> ssh -> base"),
        ]
        for (file, text, expected) in cases {
            let ex = try ExampleBuildDirectory(); defer { ex.remove() }
            try text.write(toFile: ex.path + "/" + file, atomically: true, encoding: .utf8)
            let r = try ex.cbuild(["stage4/workstation"])
            #expect(r.status == 2, "\(file): \(r)")
            #expect(r.stderr.contains(expected), "\(file): \(r.stderr)")
            #expect(!ex.dir.exists(".cache"), "\(file): nothing written")
        }
    }
}

@Suite struct InitNextStepsTests {
    @Test func initEndsWithTheNextStepsItCanSee() throws {
        let parent = try TemporaryDirectory(prefix: "cbuild-next"); defer { parent.remove() }
        let site = parent.path + "/site"
        let fresh = try CLI.run(["-C", site, "init"])
        #expect(fresh.status == 0, "\(fresh)")
        let next = fresh.stdout.components(separatedBy: "next:").last ?? ""
        #expect(next.contains("cbuild snapshot fetch") && next.contains("cbuild seed fetch amd64-openrc"), "\(fresh)")
        // A directory whose roles are in place only needs the build.
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let ready = try ex.cbuild(["init"])
        let steps = ready.stdout.components(separatedBy: "next:").last ?? ""
        #expect(!steps.contains("fetch") && steps.contains("cbuild fleet/prod"), "\(ready)")
    }
}

