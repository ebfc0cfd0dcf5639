import CBuildBasics

/// What can go wrong while making or booting an image, with the path, tool
/// or node a user needs to act on. A node's failure exits 1; naming a node
/// that is no image is a usage error (exit 2).
public enum ImageError: UserError, Equatable {
    /// A kernel, initramfs or bootloader path that leaves the stage4's tree or its allowed directory.
    case unsafeBootPath(role: String, path: String, problem: String)
    case bootFileMissing(role: String, searched: [String])
    /// The stage4 tarball holds something cbuild refuses or cannot carry into an image.
    case badArchiveEntry(path: String, problem: String)
    case toolMissing(tool: String, package: String)
    case toolFailed(command: String, status: Int32, output: String)
    /// The stage4 does not fit the configured disk.
    case doesNotFit(needed: Int64, available: Int64)
    case verificationFailed(path: String, problem: String)
    case bootFailed(image: String, problem: String, log: String)
    case notAnImage(node: String, images: [String])
    case missingDependency(node: String, dependency: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .notAnImage: return .usage
        default: return .nodeFailed
        }
    }

    public var message: String {
        switch self {
        case let .unsafeBootPath(role, path, problem):
            return "refusing the \(role) \(path) from the stage4: \(problem)"
        case let .bootFileMissing(role, searched):
            return "the stage4 has no \(role) (looked for \(searched.joined(separator: ", ")))"
        case let .badArchiveEntry(path, problem):
            return "stage4 entry '\(path)': \(problem)"
        case let .toolMissing(tool, package):
            return "\(tool) is not installed (Debian package \(package))"
        case let .toolFailed(command, status, output):
            let tail = output.split(separator: "\n").suffix(15).joined(separator: "\n")
            return "\(command) exited with status \(status)" + (tail.isEmpty ? "" : "\n" + tail)
        case let .doesNotFit(needed, available):
            return "the stage4 needs about \(needed >> 20) MiB but the root partition has \(available >> 20) MiB"
        case let .verificationFailed(path, problem):
            return "\(path) failed verification: \(problem)"
        case let .bootFailed(image, problem, log):
            return "boot test of \(image) failed: \(problem); console log: \(log)"
        case let .notAnImage(node, _):
            return "'\(node)' is not an image node"
        case let .missingDependency(node, dependency):
            return "\(node): the output of \(dependency) is not available"
        }
    }

    public var hint: String? {
        switch self {
        case .toolMissing(_, let package): return "apt-get install \(package)"
        case .doesNotFit: return "raise [image] size in the target's file"
        case let .notAnImage(_, images) where !images.isEmpty:
            return "image nodes: " + images.joined(separator: ", ")
        case .notAnImage: return "list formats with images = [\"qcow2\"] in a stage4 target"
        case .unsafeBootPath: return "boot files must be regular files inside the stage4 (a symlink must stay in its directory)"
        default: return nil
        }
    }
}
