import CBuildBasics
import Foundation

/// `/etc/catalyst-sim/provenance.json` inside every simulated stage: what
/// the run consumed, so tests can check that cbuild fed catalyst the right
/// inputs. It records every spec key and value as parsed, the SHA-256 of the
/// seed and snapshot files, the file lists and digests of portage_confdir,
/// root_overlay, fsscript and kernel configs, the packages asked for and
/// the packages installed, and — nested — the seed's own provenance when
/// the seed was itself a simulated stage, so a chain of stages stays
/// traceable. Paths under storedir are recorded relative to it; keys are
/// sorted, so identical inputs give identical bytes.
enum Provenance {
    /// Inputs collected while the stage ran.
    struct Inputs {
        var seedSHA256: String?
        var seedProvenance: Any?
        var packagesRequested: [String]
    }

    static func json(target t: StageTarget, conf: CatalystConfig, inputs: Inputs) throws -> Data {
        var spec: [String: Any] = [:]
        for (k, v) in t.spec.entries { spec[k] = jsonValue(v) }
        var doc: [String: Any] = [
            "simulator": "catalyst-sim",
            "note": "SIMULATED stage: no package was compiled; files are synthetic",
            "flavor": t.flavor.rawValue,
            "emulates": "catalyst \(t.flavor.emulatedVersion)",
            "build": t.buildName,
            "target": t.target,
            "spec": spec,
            "spec_order": t.spec.keys,
            "options": conf.options.sorted(),
            "compression_mode": t.settings["compression_mode"]?.pyStr ?? "",
            "digests": conf.digests,
        ]
        doc["seed"] = [
            "source_subpath": t.settings["source_subpath"]?.pyStr ?? "",
            "path": relative(t.sourcePath, to: t.storedir),
            "kind": t.sourceIsDirectory ? "seedcache-directory" : "file",
            "sha256": inputs.seedSHA256 ?? NSNull(),
            "provenance": inputs.seedProvenance ?? NSNull(),
        ] as [String: Any]
        var snapshot: [String: Any] = [
            "path": relative(t.snapshotPath, to: t.storedir),
            "repo_name": t.snapshotRepoName ?? NSNull(),
        ]
        if FileOps.isFile(t.snapshotPath) {
            snapshot["sha256"] = try ContentHasher.digestFile(at: t.snapshotPath).hex
        } else if FileOps.isDirectory(t.snapshotPath) {
            snapshot["files"] = tree(t.snapshotPath)
        }
        doc["snapshot"] = snapshot
        if let confdir = t.settings["portage_confdir"]?.string {
            doc["portage_confdir"] = ["path": confdir, "files": tree(confdir)] as [String: Any]
        }
        if let overlays = t.settings[t.target + "/root_overlay"]?.words {
            doc["root_overlay"] = overlays.map { ["path": $0, "exists": FileOps.isDirectory($0), "files": tree($0)] as [String: Any] }
        }
        if let fsscript = (t.settings["fsscript"] ?? t.settings[t.target + "/fsscript"])?.string {
            doc["fsscript"] = ["path": fsscript, "sha256": fileDigest(fsscript) ?? NSNull()] as [String: Any]
        }
        if let kernels = t.settings["boot/kernel"]?.asList {
            var k: [String: Any] = [:]
            for name in kernels {
                var entry: [String: Any] = [:]
                for (key, value) in t.settings.entries where key.hasPrefix("boot/kernel/\(name)/") {
                    entry[String(key.dropFirst("boot/kernel/\(name)/".count))] = jsonValue(value)
                }
                if let config = t.settings["boot/kernel/\(name)/config"]?.string {
                    entry["config_sha256"] = fileDigest(config) ?? NSNull()
                }
                k[name] = entry
            }
            doc["kernels"] = k
        }
        doc["packages"] = inputs.packagesRequested
        doc["installed"] = installed(root: t.stagePath)
        return try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    static func jsonValue(_ v: PyValue) -> Any {
        switch v {
        case let .str(s): return s
        case let .list(l): return l.map(jsonValue)
        case .none: return NSNull()
        case let .int(i): return i
        case let .float(d): return d
        case let .bool(b): return b
        }
    }

    static func relative(_ path: String, to root: String) -> String {
        let r = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(r) ? String(path.dropFirst(r.count)) : path
    }

    static func fileDigest(_ path: String) -> String? {
        guard FileOps.isFile(path) else { return nil }
        return try? ContentHasher.digestFile(at: path).hex
    }

    /// `relative path → sha256` for files, `symlink:<target>` for links.
    static func tree(_ root: String) -> [String: String] {
        var out: [String: String] = [:]
        for rel in FileOps.walk(root) {
            let full = root + "/" + rel
            if FileOps.isSymlink(full) {
                out[rel] = "symlink:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "")
            } else {
                out[rel] = fileDigest(full) ?? ""
            }
        }
        return out
    }

    /// `cat/pkg-ver` for every package recorded under var/db/pkg.
    static func installed(root: String) -> [String] {
        let db = root + "/var/db/pkg"
        var out: [String] = []
        for cat in ((try? FileManager.default.contentsOfDirectory(atPath: db)) ?? []).sorted() where FileOps.isDirectory(db + "/" + cat) {
            for pkg in ((try? FileManager.default.contentsOfDirectory(atPath: db + "/" + cat)) ?? []).sorted() {
                out.append(cat + "/" + pkg)
            }
        }
        return out
    }

    /// Reads a stage's provenance (from an unpacked seed root), if any.
    static func read(root: String) -> Any? {
        guard let d = FileManager.default.contents(atPath: root + "/etc/catalyst-sim/provenance.json") else { return nil }
        return try? JSONSerialization.jsonObject(with: d)
    }
}
