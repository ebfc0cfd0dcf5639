import CBuildArtifacts
import CBuildBasics
import CBuildConfig
import CBuildGraph
import CBuildSecurity
import CBuildState
import Foundation

/// The security questions of a workspace (SPEC §10): a node's package
/// manifest from its current (or an earlier) stage tarball, the diff of two
/// builds, and the audit of builds against a verified snapshot's GLSAs.
/// Facts are read once per content digest (`SecurityFacts`).
extension Workspace {
    /// A stage build to read: the node, which build, and its tarball.
    public struct StageBuild: Sendable {
        public var node: String
        public var build: NodeBuildRecord
        public var tarball: NodeBuildRecord.Output
    }

    /// A snapshot chosen for an audit, verified against its record.
    public struct AuditSnapshot: Sendable {
        public var date: String
        public var path: String
        public var displayPath: String
        public var sha256: String
        /// False when the state database has no verification record of the file.
        public var verified: Bool
    }

    public var securityFacts: SecurityFacts { SecurityFacts(database: database, events: events) }

    static let tarballSuffixes = [".tar.xz", ".tar.bz2", ".tar.gz", ".tar.zst", ".tar.lzma", ".tar"]

    /// The stage tarball among a build's outputs.
    static func tarball(of build: NodeBuildRecord) -> NodeBuildRecord.Output? {
        build.outputs.first { o in tarballSuffixes.contains { o.path.hasSuffix($0) } }
    }

    /// The current build of a stage node (`stage4/web`, `stage4/web@canary`).
    public func stageBuild(_ name: String) throws -> StageBuild {
        let id = try lookupStage(name)
        guard id.kind.hasPrefix("stage") || id.kind == "livecd" else { throw SecurityError.notAStage(node: name) }
        guard let build = try database.currentBuild(node: id.name) else { throw SecurityError.notBuilt(node: id.name) }
        guard let tar = Self.tarball(of: build) else { throw SecurityError.notAStage(node: id.name) }
        return StageBuild(node: id.name, build: build, tarball: tar)
    }

    /// A node of the graph, or a role variant the nightly built
    /// (`stage4/web@testing`): not in this command's graph, but recorded.
    func lookupStage(_ name: String) throws -> NodeID {
        do {
            return try graph.lookup([name])[0]
        } catch let error as GraphError {
            if name.contains("@"), try database.currentBuild(node: name) != nil { return NodeID(name) }
            throw error
        }
    }

    /// The newest earlier good build of the node whose tarball differs from the current one.
    public func previousStageBuild(_ current: StageBuild) throws -> StageBuild {
        let history = try database.history(node: current.node, limit: 1000)
        for b in history where (b.id ?? 0) < (current.build.id ?? 0) && b.state.isGood {
            if let t = Self.tarball(of: b), t.sha256 != current.tarball.sha256 {
                return StageBuild(node: current.node, build: b, tarball: t)
            }
        }
        throw SecurityError.noPreviousBuild(node: current.node)
    }

    public func manifest(of stage: StageBuild) throws -> PackageManifest {
        try securityFacts.manifest(tarball: directory.path(stage.tarball.path), displayPath: stage.tarball.path,
                                   sha256: stage.tarball.sha256, node: stage.node)
    }

    /// The arch keyword a node's advisories are matched with.
    /// The resolved target of a node, or of the target a role variant
    /// (`stage4/web@testing`) was made from, with the role it used.
    func target(of node: String) -> (target: ResolvedTarget, role: String)? {
        if let t = configuration.resolved(node: node) { return (t, t.snapshotRole) }
        let parts = node.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2, let t = configuration.resolved(node: parts[0]) else { return nil }
        return (t, parts[1])
    }

    public func archKeyword(node: String) -> String {
        guard let t = target(of: node)?.target else { return "amd64" }
        return ArchKeyword.of(profile: t.profile, subarch: t.subarch)
    }

    /// `--snapshot ROLE|DATE`, or the newest fetched date; checked against
    /// its verification record (exit 3 when its bytes changed since).
    public func auditSnapshot(_ spec: String?) throws -> AuditSnapshot {
        let store = snapshotStore()
        let files = try store.list()
        guard !files.isEmpty else { throw SecurityError.noSnapshots }
        let info: SnapshotInfo
        if let spec {
            if let ident = store.roles()[spec], let f = files.first(where: { $0.ident == ident }) { info = f }
            else if let f = files.first(where: { $0.ident == spec }) { info = f }
            else { throw SecurityError.unknownSnapshot(spec, known: store.roles().keys.sorted() + files.map(\.ident)) }
        } else {
            info = files.max { $0.ident < $1.ident }!
        }
        let display = String(info.path.dropFirst(root.count + 1))
        let digest = try digests.digest(of: info.path)
        let record = try database.artifact(path: display)
        if let record, record.sha256 != digest.description {
            throw SecurityError.snapshotModified(file: display, detail: "SHA-256 is \(digest.shortHex(16))…, \(Digest(tagged: record.sha256)?.shortHex(16) ?? record.sha256)… recorded")
        }
        return AuditSnapshot(date: info.ident, path: info.path, displayPath: display, sha256: digest.description,
                             verified: record != nil)
    }

    public func advisories(of snapshot: AuditSnapshot) throws -> SnapshotAdvisories {
        try securityFacts.advisories(snapshot: snapshot.path, displayPath: snapshot.displayPath,
                                     date: snapshot.date, sha256: snapshot.sha256)
    }

    /// Stage nodes a bare `cbuild audit` looks at: every target node with a current build.
    public func builtStageNodes() throws -> [String] {
        let current = try database.currentBuilds()
        return configuration.resolvedTargets.map(\.nodeName).filter { current[$0].map { Self.tarball(of: $0) != nil } ?? false }
    }

    /// Audits the current builds of `nodes` (default: every built stage) against a snapshot.
    public func audit(nodes names: [String], snapshot spec: String?) throws -> AuditReport {
        let snapshot = try auditSnapshot(spec)
        if !snapshot.verified {
            events.emit(.diagnostic(Diagnostic(.warning, "\(snapshot.displayPath) has no verification record (placed by hand?); auditing it as it is")))
        }
        return try audit(nodes: names, snapshot: snapshot)
    }

    public func audit(nodes names: [String], snapshot: AuditSnapshot) throws -> AuditReport {
        var nodes = names.isEmpty ? try builtStageNodes() : try expandStageNodes(names)
        // Members a fleet or `all` brought in that were never built are named, not fatal;
        // a node the user named is (exit 2).
        let named = Set(try names.map { try lookupStage($0).name })
        let current = try database.currentBuilds()
        let unbuilt = nodes.filter { !named.contains($0) && current[$0] == nil }
        if !unbuilt.isEmpty {
            events.emit(.diagnostic(Diagnostic(.warning, "not built yet, so not audited: \(unbuilt.joined(separator: ", "))")))
            nodes.removeAll { unbuilt.contains($0) }
        }
        let advisories = try advisories(of: snapshot)
        for p in advisories.problems {
            events.emit(.diagnostic(Diagnostic(.warning, "\(snapshot.displayPath): \(p) (advisory skipped)")))
        }
        if !advisories.hasAdvisoryDirectory {
            events.emit(.diagnostic(Diagnostic(.warning, "\(snapshot.displayPath) has no metadata/glsa directory: no advisories to check")))
        }
        let subjects = try nodes.map { node -> Auditor.Subject in
            let stage = try stageBuild(node)
            return Auditor.Subject(node: stage.node, output: stage.tarball.path, manifest: try manifest(of: stage),
                                   arch: archKeyword(node: stage.node), builtFrom: builtFrom(stage))
        }
        var report = Auditor.audit(subjects, against: advisories)
        report.snapshotRoles = snapshotStore().roles().filter { $0.value == snapshot.date }.map(\.key).sorted()
        return report
    }

    /// `stable 20261120`: the role and date of the snapshot a build was made from.
    func builtFrom(_ stage: StageBuild) -> String? {
        // The snapshot reaches a stage through its rendered spec (`snapshot_treeish: 20261120.xz`, `snapshot: 20261120`).
        guard let spec = stage.build.inputs.first(where: { $0.name == "spec" })?.display else { return nil }
        let line = spec.split(separator: "\n").first { $0.hasPrefix("snapshot_treeish:") || $0.hasPrefix("snapshot:") }
        guard let date = line?.split(whereSeparator: { !$0.isNumber }).first(where: { $0.count == 8 }).map(String.init) else { return nil }
        let role = target(of: stage.node)?.role
        return [role, date].compactMap { $0 }.joined(separator: " ")
    }

    /// `fleet/prod` → its members' stage nodes; `all` → every target; stage nodes as they are.
    func expandStageNodes(_ names: [String]) throws -> [String] {
        var out: [String] = []
        for id in try names.map(lookupStage) {
            if id.kind == "fleet" || id.name == "all" {
                let members = id.name == "all" ? configuration.resolvedTargets.map(\.nodeName)
                                               : try configuration.memberNodes(ofFleet: id.rest)
                for m in members where !out.contains(m) { out.append(m) }
            } else if !out.contains(id.name) {
                out.append(id.name)
            }
        }
        return out
    }
}
