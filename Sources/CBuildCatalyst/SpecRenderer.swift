import CBuildBasics
import Foundation

/// A value with where it came from, so a value catalyst cannot carry is
/// refused naming the file and key that supplied it.
public struct Sourced: Sendable, Hashable {
    public var value: String
    public var file: String
    public var key: String
    public init(_ value: String, file: String, key: String) { self.value = value; self.file = file; self.key = key }
}

/// Everything a spec is rendered from, already resolved: roles are dates,
/// seeds and parents are paths, merged trees are directories.
public struct SpecRequest: Sendable {
    public var targetName: String
    public var targetFile: String
    /// 1...4
    public var stage: Int
    public var flavor: Int
    public var root: String
    public var template: String
    public var templateName: String
    public var profile: Sourced?
    public var subarch: Sourced?
    /// `20261124`
    public var snapshotDate: String
    /// `snapshot_treeish`/`snapshot` value: flavour 4 `20261124.xz`, flavour 3 `20261124`.
    public var snapshotValue: String
    /// Relative to `storedir/builds`, without extension.
    public var sourceSubpath: String
    public var relType: String = "cbuild"
    public var packages: [Sourced] = []
    public var use: [Sourced] = []
    public var services: [Sourced] = []
    /// Absolute paths of merged trees / files, or nil.
    public var portageConfdir: String?
    public var rootOverlay: String?
    public var fsscript: String?
    public var kernelSources: Sourced?
    /// Absolute path of the kernel config.
    public var kernelConfig: String?
    public var specExtra: [(key: String, values: [String], file: String)] = []
    public var vars: [String: String] = [:]

    public init(targetName: String, targetFile: String, stage: Int, flavor: Int, root: String,
                template: String, templateName: String, snapshotDate: String, snapshotValue: String, sourceSubpath: String) {
        self.targetName = targetName; self.targetFile = targetFile; self.stage = stage; self.flavor = flavor
        self.root = root; self.template = template; self.templateName = templateName
        self.snapshotDate = snapshotDate; self.snapshotValue = snapshotValue; self.sourceSubpath = sourceSubpath
    }
}

/// The spec catalyst gets, and what cbuild derives from it.
public struct RenderedSpec: Sendable, Equatable {
    /// Exactly what catalyst reads.
    public var text: String
    /// `text` with this directory's path replaced by `@ROOT@`: what keys hash.
    public var normalizedText: String
    public var versionStamp: String
    /// `artifacts/builds/<rel_type>/<target>-<subarch>-<version_stamp>` (no extension).
    public var outputBase: String
}

/// Renders a catalyst spec from a template and a resolved target.
///
/// Steps: substitute tokens in the template; parse it with catalyst's
/// rules; set the keys cbuild manages (identity, snapshot, seed, profile,
/// merged trees, caches) and merge lists (template values first, then the
/// target's, each once); translate flavour-specific key names
/// (`snapshot`/`snapshot_treeish`, `portage_overlay`/`repos`); write one
/// line per key (see `SpecSyntax`); finally derive `version_stamp` from a
/// digest of the path-normalised text, so different inputs never share an
/// output name while identical ones (a fleet variant, another role with
/// the same date) render byte-identical specs.
public enum SpecRenderer {
    public static let builtinTokens = ["TIMESTAMP", "DATESTAMP", "TREEISH", "REPO_DIR", "SNAPSHOT", "SEED", "VERSION_STAMP", "ROOT"]
    static let stampPlaceholder = "@@CBUILD_VERSION_STAMP@@"

    public static func render(_ r: SpecRequest) throws -> RenderedSpec {
        var tokens: [String: String] = [
            "TIMESTAMP": "\(r.snapshotDate)T000000Z",
            "DATESTAMP": r.snapshotDate,
            "TREEISH": r.snapshotValue,
            "REPO_DIR": r.root,
            "SNAPSHOT": r.snapshotValue,
            "SEED": r.sourceSubpath,
            "VERSION_STAMP": stampPlaceholder,
            "ROOT": r.root,
        ]
        for (k, v) in r.vars { tokens[k] = v }
        let substituted = try CatalystConf.substitute(r.template, tokens: tokens, templateName: r.templateName)
        var entries = try parseTemplate(substituted, name: r.templateName)

        func set(_ key: String, _ values: [String]) {
            if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].values = values }
            else { entries.append((key, values)) }
        }
        func value(_ key: String) -> [String]? { entries.first { $0.key == key }?.values }
        func union(_ key: String, _ add: [Sourced]) throws {
            for s in add { try check(element: s) }
            guard !add.isEmpty else { return }
            var v = value(key) ?? []
            for s in add where !v.contains(s.value) { v.append(s.value) }
            set(key, v)
        }
        func check(element s: Sourced) throws {
            if let p = SpecSyntax.problem(element: s.value) {
                throw CatalystError.unrepresentable(file: s.file, line: nil, key: s.key, problem: p.description)
            }
        }

        let stageKey = "stage\(r.stage)"
        // Flavour-specific names: accept either spelling from a template.
        let snapKey = r.flavor == 3 ? "snapshot" : "snapshot_treeish"
        entries.removeAll { $0.key == (r.flavor == 3 ? "snapshot_treeish" : "snapshot") }
        if r.flavor == 3, let i = entries.firstIndex(where: { $0.key == "repos" }) { entries[i].key = "portage_overlay" }
        if r.flavor == 4, let i = entries.firstIndex(where: { $0.key == "portage_overlay" }) { entries[i].key = "repos" }

        if let s = r.subarch { try check(element: s); set("subarch", [s.value]) }
        set("target", [stageKey])
        set("version_stamp", [stampPlaceholder])
        if value("rel_type") == nil { set("rel_type", [r.relType]) }
        if let p = r.profile { try check(element: p); set("profile", [p.value]) }
        set(snapKey, [r.snapshotValue])
        set("source_subpath", [r.sourceSubpath])
        if let c = r.portageConfdir { set("portage_confdir", [c]) }

        let cflags = (value("cflags") ?? []).joined(separator: " ")
        let cacheName = sanitize(value("profile")?.first ?? "default") + "-" + (value("subarch")?.first ?? "unknown")
            + "-" + ContentHasher.digest(.sha256, cflags).shortHex(8)
        set("pkgcache_path", [r.root + "/artifacts/packages/" + cacheName])
        set("kerncache_path", [r.root + "/artifacts/kerncache/" + cacheName])

        if r.stage == 4 {
            try union("stage4/packages", r.packages)
            try union("stage4/use", r.use)
            try union("stage4/rcadd", r.services)
            if let o = r.rootOverlay { set("stage4/root_overlay", [o]) }
            if let f = r.fsscript { set("stage4/fsscript", [f]) }
            if let k = r.kernelSources {
                try check(element: k)
                set("boot/kernel", ["gentoo"])
                set("boot/kernel/gentoo/sources", [k.value])
                if let c = r.kernelConfig { set("boot/kernel/gentoo/config", [c]) }
            }
        } else {
            let misplaced: [(String, Bool)] = [("packages", !r.packages.isEmpty), ("services", !r.services.isEmpty),
                                               ("overlay", r.rootOverlay != nil), ("fsscript", r.fsscript != nil),
                                               ("kernel", r.kernelSources != nil)]
            if let bad = misplaced.first(where: { $0.1 }) {
                throw CatalystError.unrepresentable(file: r.targetFile, line: nil, key: bad.0,
                                                    problem: "stage \(r.stage) builds take no \(bad.0); only stage 4 does")
            }
            if !r.use.isEmpty {
                for s in r.use { try check(element: s) }
                try union("\(stageKey)/use", r.use)
            }
        }
        for extra in r.specExtra {
            for v in extra.values {
                try check(element: Sourced(v, file: extra.file, key: "spec_extra.\(extra.key)"))
            }
            set(extra.key, extra.values)
        }
        for e in entries {
            for v in e.values where v != stampPlaceholder {
                if let p = SpecSyntax.problem(element: v) {
                    throw CatalystError.unrepresentable(file: r.templateName, line: nil, key: e.key, problem: p.description)
                }
            }
        }

        let header = "# catalyst spec for \(stageKey)/\(r.targetName), rendered by cbuild from \(r.templateName).\n"
            + "# Do not edit: `cbuild spec \(stageKey)/\(r.targetName)` shows it; change the target or template instead.\n"
        var body = ""
        for e in entries { body += SpecSyntax.line(key: e.key, values: e.values) + "\n" }
        let draft = header + body
        let normalizedDraft = draft.replacingOccurrences(of: r.root, with: "@ROOT@")
        let prefix = ContentHasher.digest(.sha256, normalizedDraft).shortHex(12)
        let stamp = "\(sanitize(r.targetName))-\(r.snapshotDate)-\(prefix)"
        let text = draft.replacingOccurrences(of: stampPlaceholder, with: stamp)
        let finalEntries = Dictionary(entries.map { ($0.key, $0.values) }, uniquingKeysWith: { a, _ in a })
        let relType = finalEntries["rel_type"]?.first ?? r.relType
        let subarch = finalEntries["subarch"]?.first ?? "unknown"
        return RenderedSpec(text: text, normalizedText: text.replacingOccurrences(of: r.root, with: "@ROOT@"),
                            versionStamp: stamp,
                            outputBase: "artifacts/builds/\(relType)/\(stageKey)-\(subarch)-\(stamp)")
    }

    /// Parses a (token-substituted) template the way catalyst's spec parser
    /// reads it: comments from `#`, a `:` starts a key, other lines continue
    /// the previous key, values split on whitespace.
    static func parseTemplate(_ text: String, name: String) throws -> [(key: String, values: [String])] {
        var entries: [(key: String, values: [String])] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var line = Substring(raw)
            if let h = line.firstIndex(of: "#") { line = line[..<h] }
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if let c = t.firstIndex(of: ":") {
                let key = t[..<c].trimmingCharacters(in: .whitespaces)
                var v = t[t.index(after: c)...].trimmingCharacters(in: .whitespaces)
                while v.hasPrefix("\"") { v.removeFirst() }
                while v.hasSuffix("\"") { v.removeLast() }
                if key.isEmpty { throw CatalystError.invalidSpecTemplate(file: name, line: lineNo, problem: "a line starts with ':'") }
                let values = v.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].values = values }
                else { entries.append((key, values)) }
            } else {
                guard !entries.isEmpty else {
                    throw CatalystError.invalidSpecTemplate(file: name, line: lineNo, problem: "a value before any key")
                }
                entries[entries.count - 1].values += t.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            }
        }
        return entries
    }

    /// `vm/test` → `vm-test`; profile paths likewise; only [A-Za-z0-9._-].
    public static func sanitize(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" ? $0 : "-" })
    }
}
