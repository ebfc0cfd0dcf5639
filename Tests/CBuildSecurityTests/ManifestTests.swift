import CBuildBasics
import CBuildState
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildSecurity

/// Stage tarballs made with real tar/xz, read back into manifests and diffs.
@Suite struct ManifestReaderTests {
    /// A stage tree with var/db/pkg entries as portage writes them.
    static func stage(_ dir: TemporaryDirectory, _ packages: [(cpv: String, slot: String, use: String)], name: String = "stage4.tar.xz") throws -> String {
        let tree = dir.path + "/tree-\(name)"
        try FileManager.default.createDirectory(atPath: tree + "/etc", withIntermediateDirectories: true)
        try "Gentoo\n".write(toFile: tree + "/etc/gentoo-release", atomically: true, encoding: .utf8)
        for p in packages {
            let n = PackageVersionedName(p.cpv)!
            let d = tree + "/var/db/pkg/\(n.package.category)/\(n.package.name)-\(n.version.text)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            for (file, text) in [("CATEGORY", n.package.category), ("PF", "\(n.package.name)-\(n.version.text)"),
                                 ("SLOT", p.slot), ("repository", "gentoo"), ("USE", p.use),
                                 ("CONTENTS", "obj /usr/bin/x 0123 1\n"), ("environment.bz2", "BZh")] {
                try (text + "\n").write(toFile: d + "/" + file, atomically: true, encoding: .utf8)
            }
        }
        let out = dir.path + "/" + name
        let r = try SystemProcessRunner().run(["tar", "-C", tree, "--owner=0", "--group=0", "-caf", out, "."])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "tar", reason: r.stderrString) }
        return out
    }

    @Test func readsEveryPackageWithSlotRepositoryAndUse() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let file = try Self.stage(dir, [("dev-libs/openssl-3.0.13-r1", "0/3", "asm -test zlib"), ("sys-libs/glibc-2.39-r6", "2.2", ""),
                                        ("dev-lang/python-3.12.3", "3.12", "ssl"), ("dev-lang/python-3.11.9", "3.11", "ssl")])
        let m = try ManifestReader.read(tarball: file, displayPath: "artifacts/x.tar.xz", sha256: "sha256:00", node: "stage4/x")
        #expect(m.packages.map(\.cpv) == ["dev-lang/python-3.11.9", "dev-lang/python-3.12.3", "dev-libs/openssl-3.0.13-r1", "sys-libs/glibc-2.39-r6"])
        let ssl = try #require(m.packages.first { $0.package.name == "openssl" })
        #expect(ssl.slot == "0/3" && ssl.mainSlot == "0" && ssl.repository == "gentoo" && ssl.use == ["-test", "asm", "zlib"])
    }

    @Test(arguments: ["stage.tar.bz2", "stage.tar.gz", "stage.tar"])
    func everyCatalystCompressionIsRead(_ name: String) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let file = try Self.stage(dir, [("app-misc/hello-1.0", "0", "")], name: name)
        #expect(try ManifestReader.read(tarball: file, displayPath: name, sha256: "", node: "n").packages.map(\.cpv) == ["app-misc/hello-1.0"])
    }

    @Test func aStageWithoutAPackageDatabaseIsAClearError() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let file = try Self.stage(dir, [])
        #expect(throws: SecurityError.noPackageDatabase(node: "stage4/x", file: "artifacts/out/x.tar.xz")) {
            try ManifestReader.read(tarball: file, displayPath: "artifacts/out/x.tar.xz", sha256: "", node: "stage4/x")
        }
    }

    @Test func aTruncatedTarballIsReportedNotCrashed() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let file = try Self.stage(dir, [("app-misc/hello-1.0", "0", "")], name: "stage.tar")
        #expect(truncate(file, 700) == 0)
        #expect { try ManifestReader.read(tarball: file, displayPath: "s.tar", sha256: "", node: "n") } throws: { error in
            if case .unreadableStage(file: "s.tar", _)? = error as? SecurityError { return true }
            return false
        }
    }

    @Test func aLargeStageReportsProgressAndASmallOneDoesNot() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let small = try Self.stage(dir, [("app-misc/hello-1.0", "0", "")], name: "small.tar")
        // 70 MiB of filler before the package database, uncompressed so it is quick to make.
        let tree = dir.path + "/tree-big.tar"
        try FileManager.default.createDirectory(atPath: tree + "/usr", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: tree + "/usr/filler", contents: nil))
        #expect(truncate(tree + "/usr/filler", 70 << 20) == 0)
        let big = try Self.stage(dir, [("app-misc/hello-1.0", "0", "")], name: "big.tar")
        let sink = CollectingEventSink()
        let facts = SecurityFacts(database: try StateDatabase(), events: sink)
        _ = try facts.manifest(tarball: small, displayPath: "small.tar", sha256: "sha256:01", node: "stage4/small")
        #expect(sink.events.isEmpty, "no progress for a small stage")
        _ = try facts.manifest(tarball: big, displayPath: "big.tar", sha256: "sha256:02", node: "stage4/big")
        let names: [String] = sink.events.compactMap {
            switch $0 {
            case let .nodeStarted(node, _, _, _): return "start \(node)"
            case let .nodeProgress(node, detail): return "\(node): \(detail)"
            case let .nodeFinished(node, outcome, _, message): return "\(outcome) \(node) \(message ?? "")"
            default: return nil
            }
        }
        #expect(names == ["start packages of stage4/big", "packages of stage4/big: 70 MiB of tar read", "read packages of stage4/big 1 packages"], "\(names)")
    }

    @Test func aManifestIsReadOncePerDigest() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let file = try Self.stage(dir, [("app-misc/hello-1.0", "0", "")])
        let facts = SecurityFacts(database: try StateDatabase())
        let first = try facts.manifest(tarball: file, displayPath: "x", sha256: "sha256:aa", node: "n")
        try FileManager.default.removeItem(atPath: file)
        let again = try facts.manifest(tarball: file, displayPath: "x", sha256: "sha256:aa", node: "n")
        #expect(first == again && again.packages.count == 1, "the second read came from state, not the deleted file")
        #expect(throws: SecurityError.outputMissing(node: "n", file: "x")) {
            try facts.manifest(tarball: file, displayPath: "x", sha256: "sha256:bb", node: "n")
        }
    }
}

/// The state tables (migration v3): facts survive reopening, and a row an
/// older reader wrote is not trusted.
@Suite struct SecurityFactsStateTests {
    @Test func factsSurviveReopeningAndAnOlderReadersRowIsIgnored() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let file = try ManifestReaderTests.stage(dir, [("app-misc/hello-1.0", "0", "")])
        let path = dir.path + "/state.db"
        do {
            let (db, _) = try StateDatabase.open(at: path)
            _ = try SecurityFacts(database: db).manifest(tarball: file, displayPath: "x", sha256: "sha256:aa", node: "n")
            // A stale row from an older reader version under another digest.
            try db.recordPackageManifest(.init(outputSHA256: "sha256:bb", reader: SecurityFacts.manifestReader - 1, source: "x",
                                               content: "{\"packages\":[],\"source\":\"old\",\"sha256\":\"\"}", readAt: Date()))
        }
        let (db, _) = try StateDatabase.open(at: path)
        #expect(try db.packageManifest(outputSHA256: "sha256:aa", reader: SecurityFacts.manifestReader) != nil, "kept across opens")
        let reread = try SecurityFacts(database: db).manifest(tarball: file, displayPath: "x", sha256: "sha256:bb", node: "n")
        #expect(reread.packages.map(\.cpv) == ["app-misc/hello-1.0"], "read from the tarball, not the old row")
    }
}

@Suite struct ManifestDiffTests {
    func manifest(_ ps: [(String, String, [String])]) -> PackageManifest {
        PackageManifest(packages: ps.map { cpv, slot, use in
            let n = PackageVersionedName(cpv)!
            return InstalledPackage(package: n.package, version: n.version, slot: slot, repository: "gentoo", use: use)
        }, source: "s", sha256: "")
    }

    @Test func namesEveryKindOfChange() {
        let old = manifest([("app-misc/hello-1.0", "0", []), ("dev-libs/openssl-3.0.13", "0/3", ["asm"]),
                            ("sys-apps/gone-1", "0", []), ("dev-lang/python-3.11.9", "3.11", []),
                            ("app-editors/vim-9.1_p10", "0", []), ("sys-libs/zlib-1.3", "0/1", ["minizip"]), ("x11-libs/gtk+-3.24", "3", [])])
        let new = manifest([("app-misc/hello-1.0", "0", []), ("dev-libs/openssl-3.0.14", "0/3", ["asm"]),
                            ("net-misc/new-2", "0", []), ("dev-lang/python-3.11.9", "3.11", []), ("dev-lang/python-3.12.3", "3.12", []),
                            ("app-editors/vim-9.1", "0", []), ("sys-libs/zlib-1.3", "0/2", ["-minizip", "static"]), ("x11-libs/gtk+-3.24", "3", [])])
        let d = ManifestDiff(old: old, new: new)
        let byPackage = Dictionary(grouping: d.changes, by: \.package)
        #expect(byPackage["dev-libs/openssl"]?.map(\.kind) == [.upgraded])
        #expect(byPackage["sys-apps/gone"]?.map(\.kind) == [.removed])
        #expect(byPackage["net-misc/new"]?.map(\.kind) == [.added])
        #expect(byPackage["dev-lang/python"]?.map { "\($0.kind) \($0.new ?? "")" } == ["added 3.12.3"])
        #expect(byPackage["app-editors/vim"]?.map(\.kind) == [.downgraded], "9.1 < 9.1_p10")
        let zlib = byPackage["sys-libs/zlib"]?.first
        #expect(zlib?.kind == .rebuilt && zlib?.slotChanged == true && zlib?.useAdded == ["-minizip", "static"] && zlib?.useRemoved == ["minizip"])
        #expect(d.unchanged == 3 && byPackage["app-misc/hello"] == nil)
    }
}

/// Advisories read from real squashfs and tar.xz snapshots.
@Suite struct SnapshotReaderTests {
    static let good = GLSAFixture.xml(id: "202611-01", severity: "high", packages: [
        .init("app-misc/hello", vulnerable: [.init("lt", "1.1")], unaffected: [.init("ge", "1.1")])])

    func tree(_ dir: TemporaryDirectory, glsa: Bool) throws -> String {
        let t = dir.path + "/tree/portage"
        try FileManager.default.createDirectory(atPath: t + "/app-misc/hello", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: t + "/profiles", withIntermediateDirectories: true)
        try "gentoo\n".write(toFile: t + "/profiles/repo_name", atomically: true, encoding: .utf8)
        for v in ["1.0", "1.1", "1.2"] { try "EAPI=8\n".write(toFile: t + "/app-misc/hello/hello-\(v).ebuild", atomically: true, encoding: .utf8) }
        if glsa {
            try FileManager.default.createDirectory(atPath: t + "/metadata/glsa", withIntermediateDirectories: true)
            try Self.good.write(toFile: t + "/metadata/glsa/glsa-202611-01.xml", atomically: true, encoding: .utf8)
            try "<glsa id=\"202611-02\"><title>cut off".write(toFile: t + "/metadata/glsa/glsa-202611-02.xml", atomically: true, encoding: .utf8)
            try "not an advisory".write(toFile: t + "/metadata/glsa/index.xml", atomically: true, encoding: .utf8)
        }
        return t
    }

    func check(_ a: SnapshotAdvisories) {
        #expect(a.hasAdvisoryDirectory)
        #expect(a.advisories.map(\.id) == ["202611-01"])
        #expect(a.problems.map(\.file) == ["metadata/glsa/glsa-202611-02.xml"])
        #expect(a.offered["app-misc/hello"]?.map(\.text) == ["1.0", "1.1", "1.2"])
    }

    @Test func flavourFourSquashfs() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let t = try tree(dir, glsa: true)
        let file = dir.path + "/gentoo-20261124.xz.sqfs"
        let r = try SystemProcessRunner().run(["mksquashfs", t, file, "-noappend", "-quiet", "-comp", "xz", "-all-root"])
        #expect(r.succeeded)
        check(try SnapshotReader.read(snapshot: file, displayPath: "s", date: "20261124", sha256: ""))
    }

    @Test func flavourThreeTarball() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let t = try tree(dir, glsa: true)
        let file = dir.path + "/portage-20261124.tar.xz"
        let r = try SystemProcessRunner().run(["tar", "-C", (t as NSString).deletingLastPathComponent, "-cJf", file, "portage"])
        #expect(r.succeeded)
        check(try SnapshotReader.read(snapshot: file, displayPath: "s", date: "20261124", sha256: ""))
    }

    @Test func aSnapshotWithoutAdvisoriesSaysSo() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let t = try tree(dir, glsa: false)
        let file = dir.path + "/gentoo-20261124.xz.sqfs"
        _ = try SystemProcessRunner().run(["mksquashfs", t, file, "-noappend", "-quiet", "-comp", "xz", "-all-root"])
        let a = try SnapshotReader.read(snapshot: file, displayPath: "s", date: "20261124", sha256: "")
        #expect(!a.hasAdvisoryDirectory && a.advisories.isEmpty && a.problems.isEmpty)
    }
}
