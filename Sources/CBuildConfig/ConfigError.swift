import CBuildBasics

/// Everything a user can get wrong in a build directory, each case carrying
/// the file (relative to the build directory), line, column and key it is
/// about, so the CLI prints one line like
/// `targets/web.toml:3:1: unknown key 'stgae'` with a hint, and exits 2
/// before anything is touched.
public enum ConfigError: UserError, Equatable {
    /// What a path key must name.
    public enum PathKind: String, Sendable, Equatable { case file, directory }

    /// No `cbuild.toml` in the starting directory or any parent.
    case notABuildDirectory(searchedFrom: String)
    /// `-C DIR` names a directory that is missing or has no `cbuild.toml`.
    case invalidExplicitDirectory(path: String, reason: String)
    case unreadableFile(SourceLocation, reason: String)
    /// TOMLKit's parse error, at its line and column.
    case malformedTOML(SourceLocation, detail: String)
    case unknownKey(SourceLocation, key: String, allowed: [String])
    case missingKey(SourceLocation, key: String, expected: String)
    case wrongType(SourceLocation, key: String, expected: String, found: String)
    case invalidValue(SourceLocation, key: String, problem: String, hint: String?)
    case missingPath(SourceLocation, key: String, path: String, expected: PathKind)
    case pathEscapes(SourceLocation, key: String, path: String, violation: PathSafety.Violation)
    /// A name of a feature, target, fleet, seed or node that does not exist.
    case unknownReference(SourceLocation, key: String, kind: String, name: String, candidates: [String])
    /// A cycle, named in full: `features: base -> ssh -> base`.
    case cycle(SourceLocation, kind: String, members: [String])
    case duplicateNode(SourceLocation, node: String, otherFile: String)
    /// A file under targets/, features/ or fleets/ whose name cannot be a name.
    case invalidFileName(SourceLocation, problem: String)
    /// A name given to the API (from the command line) that is not defined.
    case unknownName(kind: String, name: String, candidates: [String])
    case notAFleetMember(target: String, fleet: String, members: [String])
    /// `cbuild init` writes a skeleton only into an empty directory.
    case directoryNotEmpty(path: String)
    case cannotWrite(path: String, reason: String)

    public var exitStatus: ExitStatus { .usage }

    public var location: SourceLocation? {
        switch self {
        case let .unreadableFile(l, _), let .malformedTOML(l, _), let .unknownKey(l, _, _),
             let .missingKey(l, _, _), let .wrongType(l, _, _, _), let .invalidValue(l, _, _, _),
             let .missingPath(l, _, _, _), let .pathEscapes(l, _, _, _), let .unknownReference(l, _, _, _, _),
             let .cycle(l, _, _), let .duplicateNode(l, _, _), let .invalidFileName(l, _):
            return l
        case .notABuildDirectory, .invalidExplicitDirectory, .unknownName, .notAFleetMember,
             .directoryNotEmpty, .cannotWrite:
            return nil
        }
    }

    public var message: String {
        switch self {
        case let .notABuildDirectory(start):
            return "not a cbuild build directory: no cbuild.toml in \(start) or any parent directory"
        case let .invalidExplicitDirectory(path, reason):
            return "\(path): \(reason)"
        case let .unreadableFile(_, reason):
            return "cannot read the file: \(reason)"
        case let .malformedTOML(_, detail):
            return "malformed TOML: \(detail)"
        case let .unknownKey(_, key, _):
            return "unknown key '\(key)'"
        case let .missingKey(_, key, expected):
            return "missing key '\(key)' (\(expected))"
        case let .wrongType(_, key, expected, found):
            return "key '\(key)': expected \(expected), found \(found)"
        case let .invalidValue(_, key, problem, _):
            return "key '\(key)': \(problem)"
        case let .missingPath(_, key, path, expected):
            return "key '\(key)': '\(path)' is not an existing \(expected.rawValue) in the build directory"
        case let .pathEscapes(_, key, path, violation):
            return "key '\(key)': '\(path)' is not allowed: \(violation)"
        case let .unknownReference(_, key, kind, name, _):
            return "key '\(key)': unknown \(kind) '\(name)'"
        case let .cycle(_, kind, members):
            return "cycle in \(kind): " + members.joined(separator: " -> ")
        case let .duplicateNode(_, node, other):
            return "node '\(node)' is also defined by \(other)"
        case let .invalidFileName(_, problem):
            return problem
        case let .unknownName(kind, name, _):
            return "unknown \(kind) '\(name)'"
        case let .notAFleetMember(target, fleet, _):
            return "target '\(target)' is not a member of fleet '\(fleet)'"
        case let .directoryNotEmpty(path):
            return "\(path) is not empty; a skeleton is only written into an empty directory"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }

    public var hint: String? {
        switch self {
        case .notABuildDirectory, .invalidExplicitDirectory:
            return "run 'cbuild init' in an empty directory to create one, or pass -C DIR"
        case let .unknownKey(_, key, allowed):
            // `key` is dotted (`publish.aws.boot_mod`); `allowed` are the table's own names.
            return Suggest.didYouMean(key.split(separator: ".").last.map(String.init) ?? key, among: allowed)
                ?? "allowed keys: " + allowed.joined(separator: ", ")
        case let .invalidValue(_, _, _, hint):
            return hint
        case .missingPath:
            return "paths are relative to the directory holding cbuild.toml"
        case .pathEscapes:
            return "name a path inside the build directory, without '..' or symlinks leading out"
        case let .unknownReference(_, _, _, name, candidates), let .unknownName(_, name, candidates):
            if let suggestion = Suggest.didYouMean(name, among: candidates) { return suggestion }
            if candidates.isEmpty { return "none is defined" }
            let shown = candidates.prefix(8).joined(separator: ", ")
            return "known: " + shown + (candidates.count > 8 ? ", …" : "")
        case let .notAFleetMember(_, _, members):
            return "members: " + members.joined(separator: ", ")
        case .cycle:
            return "remove one of the references to break the cycle"
        case .directoryNotEmpty:
            return "create a new directory and run 'cbuild init' there"
        default:
            return nil
        }
    }
}
