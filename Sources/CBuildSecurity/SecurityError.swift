import CBuildBasics

/// Everything that stops a security command, each case carrying what the
/// user needs: the file (relative to the build directory where there is
/// one), the node, the underlying cause. Exit status per SPEC §10.
public enum SecurityError: UserError, Equatable {
    /// A stage tarball with no `var/db/pkg` entries: nothing to list or audit.
    case noPackageDatabase(node: String, file: String)
    /// A stage tarball that could not be read as tar (truncated, not a tarball).
    case unreadableStage(file: String, reason: String)
    /// A snapshot that could not be read (unsquashfs/tar failed).
    case unreadableSnapshot(file: String, reason: String)
    /// A tool needed to read a stage or snapshot is not installed.
    case toolMissing(String, package: String)
    /// A node that has no current build to read.
    case notBuilt(node: String)
    /// A node that is not a catalyst stage (no tarball output).
    case notAStage(node: String)
    /// No earlier build of a node with different outputs, for `diff NODE`.
    case noPreviousBuild(node: String)
    /// `--snapshot` names neither a role nor a fetched date.
    case unknownSnapshot(String, known: [String])
    /// No snapshot fetched at all.
    case noSnapshots
    /// The snapshot's bytes differ from its verification record.
    case snapshotModified(file: String, detail: String)
    /// A build's output file is gone and its manifest was never read.
    case outputMissing(node: String, file: String)

    public var exitStatus: ExitStatus {
        // 1 is the audit's "affected": everything that is not a verification failure is 2.
        switch self {
        case .snapshotModified: return .verification
        default: return .usage
        }
    }

    public var location: SourceLocation? {
        switch self {
        case let .noPackageDatabase(_, file), let .unreadableStage(file, _), let .unreadableSnapshot(file, _),
             let .snapshotModified(file, _), let .outputMissing(_, file):
            return SourceLocation(file: file)
        default: return nil
        }
    }

    public var message: String {
        switch self {
        case let .noPackageDatabase(node, _):
            return "\(node): the stage has no var/db/pkg entries, so its packages cannot be listed or audited"
        case let .unreadableStage(_, reason): return "cannot read the stage tarball: \(reason)"
        case let .unreadableSnapshot(_, reason): return "cannot read the snapshot: \(reason)"
        case let .toolMissing(tool, _): return "\(tool) is needed to read snapshots and stages but is not installed"
        case let .notBuilt(node): return "\(node) has no current build"
        case let .notAStage(node): return "\(node) is not a catalyst stage: it has no stage tarball to read packages from"
        case let .noPreviousBuild(node): return "\(node) has no earlier build with different outputs to compare with"
        case let .unknownSnapshot(value, _): return "--snapshot '\(value)' is neither a snapshot role nor a fetched date"
        case .noSnapshots: return "no snapshot has been fetched"
        case let .snapshotModified(_, detail): return "the snapshot changed since it was verified: \(detail)"
        case let .outputMissing(node, _): return "\(node): its output file is gone and its packages were never recorded"
        }
    }

    public var hint: String? {
        switch self {
        case .noPackageDatabase: return "was the stage built with a package manager database (not stripped of /var/db/pkg)?"
        case let .toolMissing(_, package): return "install \(package)"
        case let .notBuilt(node): return "run: cbuild \(node)"
        case .noPreviousBuild: return "name the other build: cbuild diff NODE OTHER"
        case let .unknownSnapshot(_, known): return known.isEmpty ? "fetch one: cbuild snapshot fetch" : "known: " + known.joined(separator: ", ")
        case .noSnapshots: return "run: cbuild snapshot fetch"
        case .snapshotModified: return "re-fetch it (cbuild snapshot verify shows which file)"
        default: return nil
        }
    }
}
