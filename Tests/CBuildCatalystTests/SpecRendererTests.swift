import CBuildBasics
@testable import CBuildCatalyst
import Testing

@Suite struct SpecRendererTests {
    func request(flavor: Int = 4, root: String = "/srv/build", template: String = "subarch: amd64\n") -> SpecRequest {
        var r = SpecRequest(targetName: "vm/test", targetFile: "targets/vm/test.toml", stage: 4, flavor: flavor, root: root,
                            template: template, templateName: "specs/stage4.spec", snapshotDate: "20261124",
                            snapshotValue: flavor == 4 ? "20261124.xz" : "20261124",
                            sourceSubpath: "seeds/stage3-amd64-openrc-20261124T170000Z")
        r.profile = Sourced("default/linux/amd64/23.0", file: "targets/vm/test.toml", key: "profile")
        r.subarch = Sourced("amd64", file: "targets/vm/test.toml", key: "subarch")
        r.packages = [Sourced("app-editors/vim", file: "targets/vm/test.toml", key: "packages"),
                      Sourced("dev-lang/python:3.12", file: "features/base.toml", key: "packages")]
        r.use = [Sourced("-X", file: "targets/vm/test.toml", key: "use")]
        r.services = [Sourced("sshd|default", file: "features/ssh.toml", key: "services")]
        return r
    }

    @Test func flavourFourWritesSnapshotTreeishAndEveryListOnItsKeyLine() throws {
        let s = try SpecRenderer.render(request())
        let v = SpecValues(parsing: s.text)
        #expect(v.first("snapshot_treeish") == "20261124.xz")
        #expect(v["snapshot"] == nil)
        #expect(v["stage4/packages"] == ["app-editors/vim", "dev-lang/python:3.12"])
        #expect(s.text.contains("stage4/packages: app-editors/vim dev-lang/python:3.12\n"))
        #expect(v.first("target") == "stage4")
        #expect(v.first("version_stamp") == s.versionStamp)
        #expect(s.versionStamp.hasPrefix("vm-test-20261124-"))
        #expect(s.outputBase == "artifacts/builds/cbuild/stage4-amd64-\(s.versionStamp)")
    }

    @Test func flavourThreeWritesSnapshotAndPortageOverlay() throws {
        var r = request(flavor: 3, template: "subarch: amd64\nrepos: /srv/build/overlays/local\n")
        r.snapshotValue = "20261124"
        let s = try SpecRenderer.render(r)
        let v = SpecValues(parsing: s.text)
        #expect(v.first("snapshot") == "20261124")
        #expect(v["snapshot_treeish"] == nil)
        #expect(v.first("portage_overlay") == "/srv/build/overlays/local")
        #expect(v["repos"] == nil)
    }

    @Test func samInputsInAnotherDirectoryGiveTheSameStampAndNormalisedText() throws {
        let a = try SpecRenderer.render(request(root: "/srv/a"))
        let b = try SpecRenderer.render(request(root: "/home/me/b"))
        #expect(a.versionStamp == b.versionStamp)
        #expect(a.normalizedText == b.normalizedText)
        #expect(a.text != b.text)
    }

    @Test func changedInputChangesTheStamp() throws {
        var r = request()
        let a = try SpecRenderer.render(r)
        r.packages.append(Sourced("net-misc/mosh", file: "features/ssh.toml", key: "packages"))
        #expect(try SpecRenderer.render(r).versionStamp != a.versionStamp)
    }

    @Test func percentIsEscapedForCatalystSubstitution() throws {
        var r = request()
        r.specExtra = [(key: "cflags", values: ["-O2", "-DPCT=100%"], file: "targets/vm/test.toml")]
        let s = try SpecRenderer.render(r)
        #expect(s.text.contains("cflags: -O2 -DPCT=100%%\n"))
        #expect(SpecValues(parsing: s.text)["cflags"] == ["-O2", "-DPCT=100%"])
    }

    @Test func hashIsRefusedNamingFileAndKey() throws {
        var r = request()
        r.use.append(Sourced("foo#bar", file: "features/desktop.toml", key: "use"))
        do {
            _ = try SpecRenderer.render(r)
            Issue.record("expected an error")
        } catch let e as CatalystError {
            #expect(e.exitStatus == .usage)
            #expect(e.location?.file == "features/desktop.toml")
            #expect(e.location?.key == "use")
            #expect(e.description.contains("'#'"))
        }
    }

    @Test func tokensAreSubstitutedAndUnknownOnesNamed() throws {
        let t = "subarch: amd64\nsource_subpath: @SEED@\ncflags: -O2\nrel_type: @VAR_REL@\n# @DATESTAMP@ only in a comment\n"
        var r = request(template: t)
        r.vars = ["VAR_REL": "releng"]
        let s = try SpecRenderer.render(r)
        #expect(SpecValues(parsing: s.text).first("rel_type") == "releng")
        #expect(s.outputBase.hasPrefix("artifacts/builds/releng/"))
        let bad = request(template: "subarch: amd64\n\nversion_stamp: @VERSION_STAPM@\n")
        #expect(throws: CatalystError.self) { _ = try SpecRenderer.render(bad) }
        do { _ = try SpecRenderer.render(bad) } catch let e as CatalystError {
            #expect(e.location == SourceLocation(file: "specs/stage4.spec", line: 3, key: "@VERSION_STAPM@"))
            #expect(e.hint?.contains("VERSION_STAMP") == true)
        }
    }

    @Test func templateListsAreKeptAndMergedOnce() throws {
        let t = "subarch: amd64\nstage4/packages:\n  app-admin/sudo\n  app-editors/vim\n"
        let s = try SpecRenderer.render(request(template: t))
        #expect(SpecValues(parsing: s.text)["stage4/packages"] == ["app-admin/sudo", "app-editors/vim", "dev-lang/python:3.12"])
    }

    @Test func pkgcacheIsSharedAcrossSnapshotDates() throws {
        var r = request()
        let a = SpecValues(parsing: try SpecRenderer.render(r).text)
        r.snapshotDate = "20261201"; r.snapshotValue = "20261201.xz"
        let b = SpecValues(parsing: try SpecRenderer.render(r).text)
        #expect(a["pkgcache_path"] == b["pkgcache_path"])
        #expect(a["version_stamp"] != b["version_stamp"])
    }

    @Test func emergeProgressLines() {
        #expect(EmergeProgress.parse(">>> Emerging (3 of 12) dev-libs/openssl-3.3.2::gentoo") == "(3 of 12) dev-libs/openssl-3.3.2")
        #expect(EmergeProgress.parse(">>> Emerging binary (1 of 2) app-misc/hello-1.0::gentoo") == "(1 of 2) app-misc/hello-1.0")
        #expect(EmergeProgress.parse(">>> Installing (1 of 1) app-misc/hello-1.0::gentoo") == nil)
    }
}

@Suite struct CatalystConfTests {
    @Test func flavourFourIsTOMLWithArrays() throws {
        let c = CatalystConf(flavor: 4, root: "/srv/b", options: ["pkgcache", "kerncache"], digests: ["blake2b", "sha512"], compression: "pixz")
        let text = try c.renderConf(template: nil)
        #expect(text.contains("options = [\"pkgcache\", \"kerncache\"]\n"))
        #expect(text.contains("digests = [\"blake2b\", \"sha512\"]\n"))
        #expect(text.contains("storedir = \"/srv/b/artifacts\"\n"))
        #expect(text.contains("envscript = \"/srv/b/.cache/catalyst/catalystrc\"\n"))
        #expect(!text.contains("portdir"))
    }

    @Test func flavourThreeIsShellStyle() throws {
        let c = CatalystConf(flavor: 3, root: "/srv/b", options: ["pkgcache"], digests: ["sha512"], compression: "lbzip2")
        let text = try c.renderConf(template: nil)
        #expect(text.contains("portdir=\"/var/db/repos/portage\"\n"))
        #expect(text.contains("repo_name=\"portage\"\n"))
        #expect(text.contains("options=\"pkgcache\"\n"))
        #expect(CatalystConf.tarballExtension(compression: "lbzip2") == "tar.bz2")
        #expect(CatalystConf.tarballExtension(compression: "pixz") == "tar.xz")
    }
}
