@testable import CBuildCatalyst
import CBuildTestSupport
import Foundation
import Testing

/// Releng-shaped spec templates (our own copies, with their @TOKEN@s) go
/// through cbuild's template path and the simulator accepts the result:
/// "a releng spec dropped into specs/ works unchanged".
@Suite struct RelengThroughRendererTests {
    func render(_ template: String, stage: Int, name: String, root: String, seed: String, flavor: Int = 4) throws -> RenderedSpec {
        var r = SpecRequest(targetName: name, targetFile: "targets/\(name).toml", stage: stage, flavor: flavor, root: root,
                            template: template, templateName: "specs/\(name).spec", snapshotDate: "20261124",
                            snapshotValue: flavor == 4 ? "20261124.xz" : "20261124", sourceSubpath: seed)
        r.subarch = Sourced("amd64", file: "targets/\(name).toml", key: "subarch")
        return try SpecRenderer.render(r)
    }

    @Test func stage1ThenStage3ThenStage4FromRelengTemplates() throws {
        let fx = try CatalystSimFixture(flavor: 4); defer { fx.remove() }
        try fx.writeConf()
        _ = try fx.writeSnapshot()
        let seed = try fx.writeSeed()
        // @REPO_DIR@ is the build directory: releng's confdir lives under it.
        let confdir = fx.root + "/releases/portage/stages"
        try FileManager.default.createDirectory(atPath: confdir + "/package.use", withIntermediateDirectories: true)
        try "*/* -X\n".write(toFile: confdir + "/package.use/releng", atomically: true, encoding: .utf8)
        // The files releng's stage4 names under @REPO_DIR@.
        for (rel, text) in ["releases/kconfig/amd64/amd64-gentoo.config": "CONFIG_64BIT=y\n",
                            "releases/scripts/cloud-prep.sh": "#!/bin/sh\ntrue\n"] {
            let full = fx.root + "/" + rel
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }

        var source = seed
        for (stage, template) in [(1, RelengSpecs.stage1OpenRC), (3, RelengSpecs.stage3OpenRC), (4, RelengSpecs.stage4Minimal)] {
            let spec = try render(template, stage: stage, name: "releng-stage\(stage)", root: fx.root, seed: source)
            // The releng values cbuild does not manage survive; managed ones are replaced.
            let values = SpecValues(parsing: spec.text)
            #expect(values.first("rel_type") == "23.0-default")
            #expect(values.first("portage_confdir") == confdir)
            #expect(values.first("source_subpath") == source)
            #expect(values.first("version_stamp") == spec.versionStamp)
            let path = try fx.writeSpec(spec.text, name: "stage\(stage).spec")
            let run = try fx.run(spec: path)
            #expect(run.status == 0, "stage\(stage): \(run.output)")
            let tarball = fx.storedir + "/builds/" + spec.outputBase.dropFirst("artifacts/builds/".count) + ".tar.xz"
            #expect(FileManager.default.fileExists(atPath: tarball), "stage\(stage) output \(tarball)")
            source = String(spec.outputBase.dropFirst("artifacts/builds/".count)) + ".tar.xz"
        }
    }

    @Test func aSlotAtomAndAPercentReachCatalystIntact() throws {
        let fx = try CatalystSimFixture(flavor: 4); defer { fx.remove() }
        try fx.writeConf()
        _ = try fx.writeSnapshot()
        let seed = try fx.writeSeed()
        var r = SpecRequest(targetName: "py", targetFile: "targets/py.toml", stage: 4, flavor: 4, root: fx.root,
                            template: "subarch: amd64\nprofile: default/linux/amd64/23.0\n", templateName: "specs/py.spec",
                            snapshotDate: "20261124", snapshotValue: "20261124.xz", sourceSubpath: seed)
        r.packages = [Sourced("dev-lang/python:3.12", file: "targets/py.toml", key: "packages"),
                      Sourced("app-misc/hello", file: "targets/py.toml", key: "packages")]
        r.specExtra = [(key: "cflags", values: ["-O2", "-DRATIO=50%"], file: "targets/py.toml")]
        let spec = try SpecRenderer.render(r)
        let path = try fx.writeSpec(spec.text)
        let parsed = try fx.runRaw(["-f", path], environment: ["CATALYST_SIM_PARSE_ONLY": "1"])
        #expect(parsed.status == 0, "\(parsed.output)")
        #expect(parsed.stdout.contains("dev-lang/python:3.12"), "\(parsed.stdout)")
        #expect(parsed.stdout.contains("-DRATIO=50%"), "\(parsed.stdout)")
        #expect(!parsed.stdout.contains("50%%"), "\(parsed.stdout)")
    }
}
