import CBuildBasics
import CBuildGraph
import Foundation

/// `snapshot/ROLE` and `seed/NAME`: a source node that follows a role
/// symlink (`artifacts/snapshots/gentoo-stable.sqfs -> gentoo-20261124.xz.sqfs`)
/// to the dated file and hashes it. The role is resolved before anything is
/// hashed: two roles naming the same file give the same digest and the same
/// display, so promotion changes no key.
public struct RoleSourceRule: Rule {
    /// "snapshot" or "seed".
    public let artifactKind: String
    /// Relative path of the role symlink.
    public let roleLink: String
    /// How the user refers to it in messages: "snapshot role 'testing'".
    public let roleDescription: String
    /// The command that creates the role, for the hint.
    public let fetchHint: String

    /// The seed's name; "" for snapshots.
    public let name: String

    public init(artifactKind: String, name: String = "", roleLink: String, roleDescription: String, fetchHint: String) {
        self.artifactKind = artifactKind; self.name = name; self.roleLink = roleLink
        self.roleDescription = roleDescription; self.fetchHint = fetchHint
    }

    public var recipeName: String { "\(artifactKind)-role" }
    public var recipeVersion: Int { 1 }
    public var kind: RuleKind { .source }

    public func evaluate(_ context: RuleContext, dependencies: [NodeID: DependencyResult]) throws -> Evaluation {
        let link = context.path(roleLink)
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else {
            throw RoleError.unset(role: roleDescription, link: roleLink, hint: fetchHint)
        }
        let dir = (roleLink as NSString).deletingLastPathComponent
        let rel = dir + "/" + target
        // cbuild writes roles as links to a file beside them; anything else is refused.
        guard !target.contains("/") else {
            throw RoleError.escapes(role: roleDescription, link: roleLink, target: target)
        }
        let full = context.path(rel)
        guard FileManager.default.fileExists(atPath: full) else {
            throw RoleError.dangling(role: roleDescription, link: roleLink, target: target, hint: fetchHint)
        }
        let digest = try context.digests.digest(of: full)
        try checkVerified(rel, digest: digest, context)
        let size = (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? Int64) ?? 0
        let name = (target as NSString).lastPathComponent
        return Evaluation(inputs: [NodeInput(name: "file", digest: digest.description, display: name)],
                          outputDigest: digest.description, display: ArtifactNames.stem(name),
                          existingOutputs: [NodeOutput(path: rel, sha256: digest.description, size: size)])
    }
}

extension RoleSourceRule {
    /// The file's bytes must be the ones that passed verification: the
    /// state database's record of the download, or — when the database was
    /// lost — the digest `cbuild.lock` pins for that file name. A file with
    /// neither (placed by hand) is used as it is; `snapshot list` shows it
    /// as unrecorded. The digest comes through the digest cache, so an
    /// unchanged file costs a stat and a changed one is re-hashed.
    func checkVerified(_ relative: String, digest: Digest, _ context: RuleContext) throws {
        guard let records = context.verifications else { return }
        let name = (relative as NSString).lastPathComponent
        var recorded = try records.verifiedSHA256(of: relative)
        if recorded == nil, let lock = try? LockFile.read(at: context.path(LockFile.fileName)) {
            let entries = artifactKind == "seed" ? lock.seeds.values.flatMap { $0.values } : Array(lock.snapshots.values)
            recorded = entries.first { $0.file == name }.map { "sha256:" + $0.sha256 }
        }
        guard let recorded, recorded != digest.description else { return }
        let ident = ArtifactNames.stem(name).split(separator: "-").last.map(String.init) ?? name
        let refetch = artifactKind == "seed" ? "`cbuild seed fetch \(name) --timestamp \(ident)`"
                                             : "`cbuild snapshot fetch --date \(ident.prefix(8))`"
        throw ArtifactError.modifiedSinceVerification(file: relative, what: roleDescription,
                                                      recorded: Self.short(recorded), actual: Self.short(digest.description),
                                                      refetch: refetch)
    }

    private static func short(_ tagged: String) -> String {
        let hex = tagged.hasPrefix("sha256:") ? String(tagged.dropFirst(7)) : tagged
        return String(hex.prefix(16)) + "…"
    }
}

/// File-name helpers shared by snapshots and seeds.
public enum ArtifactNames {
    static let extensions = [".xz.sqfs", ".sqfs", ".tar.xz", ".tar.bz2", ".tar.gz", ".tar.zst", ".tar", ".tbz2"]

    /// `gentoo-20261124.xz.sqfs` → `gentoo-20261124`; `stage3-…Z.tar.xz` → `stage3-…Z`.
    public static func stem(_ name: String) -> String {
        for e in extensions where name.hasSuffix(e) { return String(name.dropLast(e.count)) }
        return name
    }

    /// The tarball/squashfs extension of a file name, without the leading dot.
    public static func fileExtension(_ name: String) -> String? {
        for e in extensions where name.hasSuffix(e) { return String(e.dropFirst()) }
        return nil
    }
}

/// A role that cannot be resolved: exit 2 with the command that fixes it.
public enum RoleError: UserError, Equatable {
    case unset(role: String, link: String, hint: String)
    case dangling(role: String, link: String, target: String, hint: String)
    case escapes(role: String, link: String, target: String)

    public var exitStatus: ExitStatus { .usage }
    public var location: SourceLocation? {
        switch self {
        case let .unset(_, l, _), let .dangling(_, l, _, _), let .escapes(_, l, _): return SourceLocation(file: l)
        }
    }
    public var message: String {
        switch self {
        case let .unset(r, _, _): return "\(r) points nowhere (no role link)"
        case let .dangling(r, _, t, _): return "\(r) points to \(t), which does not exist"
        case let .escapes(r, _, t): return "\(r) points outside its directory (\(t))"
        }
    }
    public var hint: String? {
        switch self {
        case let .unset(_, _, h), let .dangling(_, _, _, h): return h
        case .escapes: return "re-create the role with cbuild"
        }
    }
}
