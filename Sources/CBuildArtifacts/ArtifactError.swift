import CBuildBasics

/// Everything that can stop a snapshot or seed operation, each case carrying
/// what the user needs to act: the file or URL, the role, the reason, and
/// the documented exit status (2 usage, 3 verification, 1 fetch failed).
public enum ArtifactError: UserError, Equatable {
    /// A mirror URL that cannot be used (unknown scheme, malformed).
    case invalidMirror(String, reason: String)
    /// A plain `http://` mirror while `allow_http` is off.
    case httpNotAllowed(String)
    /// No mirrors configured.
    case noMirrors(what: String)
    case invalidRole(String)
    case invalidDate(String)
    case unknownSeed(String, suggestion: String?)
    /// A role that has no (existing) file behind it.
    case roleUnset(kind: String, name: String, role: String)
    /// A role whose link is a regular file or leads somewhere unexpected.
    case roleLinkBroken(path: String, reason: String)
    /// The dated file is not in `artifacts/`; promote/rollback need it fetched first.
    case notFetched(kind: String, name: String, ident: String)
    /// Moving a role to an older date outside `rollback`.
    case wouldMoveBackwards(kind: String, name: String, role: String, from: String, to: String)
    /// `rollback` asked to go to a newer date.
    case rollbackForward(kind: String, name: String, role: String, from: String, to: String)
    /// `rollback` without a date and no earlier value in the role history.
    case noEarlierValue(kind: String, name: String, role: String)
    case keyringMissing(String)
    case keyringEmpty
    case notAKeyFile(String)
    case toolMissing(String)
    /// A mirror listing naming a path outside its directory (SPEC 8: exit 2).
    case unsafeListingPath(url: String, line: Int, path: String, reason: String)
    /// A signed listing that names no usable stage.
    case malformedListing(url: String, reason: String)
    case lockFileInvalid(path: String, line: Int?, key: String?, reason: String)
    /// A downloaded file that does not match its cbuild.lock entry.
    case lockMismatch(file: String, detail: String)
    /// A signature or digest check failed; the downloaded file was deleted.
    case verificationFailed(file: String, reason: VerificationFailure)
    /// A verified snapshot or seed whose bytes changed since: nothing reads it.
    case modifiedSinceVerification(file: String, what: String, recorded: String, actual: String, refetch: String)
    /// No mirror could provide the file; `attempts` says what each answered.
    case notFound(what: String, attempts: [String])
    case io(path: String, reason: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .verificationFailed, .lockMismatch, .malformedListing, .modifiedSinceVerification: return .verification
        case .notFound, .io: return .nodeFailed
        default: return .usage
        }
    }

    public var location: SourceLocation? {
        switch self {
        case let .unsafeListingPath(url, line, _, _): return SourceLocation(file: url, line: line)
        case let .lockFileInvalid(path, line, key, _): return SourceLocation(file: path, line: line, key: key)
        default: return nil
        }
    }

    public var message: String {
        switch self {
        case let .invalidMirror(url, reason): return "mirror '\(url)' cannot be used: \(reason)"
        case let .httpNotAllowed(url): return "mirror '\(url)' uses plain http, which is not allowed"
        case let .noMirrors(what): return "no mirrors configured for \(what)"
        case let .invalidRole(role):
            return "'\(role)' is not a role name: use lowercase letters, digits, '-' and '_', starting with a letter"
        case let .invalidDate(date): return "'\(date)' is not a snapshot date (YYYYMMDD)"
        case let .unknownSeed(name, _): return "no seed named '\(name)' in cbuild.toml"
        case let .roleUnset(kind, name, role): return "\(Self.subject(kind, name)) role '\(role)' points nowhere"
        case let .roleLinkBroken(path, reason): return "\(path): \(reason)"
        case let .notFetched(kind, name, ident): return "\(Self.subject(kind, name)) \(ident) has not been fetched"
        case let .wouldMoveBackwards(kind, name, role, from, to):
            return "\(Self.subject(kind, name)) role '\(role)' is at \(from); moving it to the older \(to) is a rollback"
        case let .rollbackForward(kind, name, role, from, to):
            return "\(Self.subject(kind, name)) role '\(role)' is at \(from); \(to) is newer, so this is not a rollback"
        case let .noEarlierValue(kind, name, role):
            return "\(Self.subject(kind, name)) role '\(role)' has no earlier value in its history"
        case let .keyringMissing(path): return "keyring file \(path) does not exist"
        case .keyringEmpty: return "no OpenPGP keys configured to verify downloads"
        case let .notAKeyFile(path): return "\(path) is not an OpenPGP public key file"
        case let .toolMissing(tool): return "\(tool) is needed to verify signatures but was not found"
        case let .unsafeListingPath(_, _, path, reason): return "the listing names '\(path)', which is refused: \(reason)"
        case let .malformedListing(url, reason): return "\(url): \(reason)"
        case let .lockFileInvalid(_, _, _, reason): return reason
        case let .lockMismatch(file, detail): return "\(file) does not match cbuild.lock: \(detail)"
        case let .verificationFailed(file, reason): return "verification of \(file) failed: \(reason); the download was deleted"
        case let .modifiedSinceVerification(file, what, recorded, actual, _):
            return "\(file) (\(what)) changed since it was verified: SHA-256 is \(actual), \(recorded) was verified; catalyst will not read it"
        case let .notFound(what, attempts):
            return attempts.isEmpty ? "\(what) not found" : "\(what) not found (\(attempts.joined(separator: "; ")))"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }

    public var hint: String? {
        switch self {
        case .httpNotAllowed: return "use https:// or file://, or set allow_http = true in [snapshots]"
        case .noMirrors: return "add mirrors = [\"https://distfiles.gentoo.org\"] to [snapshots] in cbuild.toml"
        case let .unknownSeed(_, suggestion): return suggestion
        case let .roleUnset(kind, name, role):
            return kind == "seed" ? "run `cbuild seed fetch \(name) --role \(role)`"
                                  : "run `cbuild snapshot fetch --role \(role)`"
        case let .notFetched(kind, name, ident):
            return kind == "seed" ? "run `cbuild seed fetch \(name)` first"
                                  : "run `cbuild snapshot fetch --date \(ident) --role <role>` first"
        case let .wouldMoveBackwards(kind, name, role, _, to):
            return "if that is what you want, run `cbuild \(kind) rollback \(kind == "seed" ? name + " " : "")\(role) \(to)`"
        case let .rollbackForward(kind, name, role, _, to):
            return "run `cbuild \(kind) promote \(kind == "seed" ? name + " " : "")\(role) \(to)`"
        case .noEarlierValue: return "name the date to roll back to"
        case .keyringMissing, .keyringEmpty:
            return "put Gentoo's release key in keys/ and list it in [snapshots] keyring"
        case let .toolMissing(tool): return "install \(tool) (Debian: gpgv; Gentoo: app-crypt/gnupg)"
        case let .verificationFailed(_, reason): return reason.hint
        case let .modifiedSinceVerification(_, _, _, _, refetch): return "restore the file, or fetch it again: \(refetch)"
        case .lockMismatch: return "the mirror serves different content than was locked; check the mirror, or move the role and commit the new cbuild.lock"
        case .notFound: return "check the mirrors in cbuild.toml, or name another date with --date"
        default: return nil
        }
    }

    private static func subject(_ kind: String, _ name: String) -> String {
        name.isEmpty ? kind : "\(kind) '\(name)'"
    }
}

/// Why a downloaded file was rejected.
public enum VerificationFailure: Sendable, Equatable, CustomStringConvertible {
    case badSignature(keyID: String)
    case unknownKey(keyID: String)
    case expiredKey(keyID: String)
    case revokedKey(keyID: String)
    case expiredSignature(keyID: String)
    /// The file carries no OpenPGP signature at all.
    case noSignature
    case gpgvFailed(String)
    case digestMismatch(algorithm: Digest.Algorithm, expected: String, actual: String)
    /// The signed digest list does not name the file (or lacks a required algorithm).
    case digestMissing(String)
    /// The file is shorter than the size its listing or lock advertises.
    case truncated(expected: Int64, actual: Int64)
    /// The file is longer than advertised.
    case sizeMismatch(expected: Int64, actual: Int64)

    public var description: String {
        switch self {
        case let .badSignature(key): return "BAD signature (key \(key))"
        case let .unknownKey(key): return "signed by unknown key \(key)"
        case let .expiredKey(key): return "signed by expired key \(key)"
        case let .revokedKey(key): return "signed by revoked key \(key)"
        case let .expiredSignature(key): return "the signature by \(key) has expired"
        case .noSignature: return "no OpenPGP signature found"
        case let .gpgvFailed(detail): return "gpgv failed: \(detail)"
        case let .digestMismatch(alg, expected, actual):
            return "\(alg.rawValue.uppercased()) digest mismatch (expected \(expected.prefix(16))…, got \(actual.prefix(16))…)"
        case let .digestMissing(detail): return detail
        case let .truncated(expected, actual): return "truncated: \(actual) bytes, \(expected) advertised"
        case let .sizeMismatch(expected, actual): return "size is \(actual) bytes, \(expected) advertised"
        }
    }

    var hint: String? {
        switch self {
        case .unknownKey: return "add the signer's public key to keys/ and [snapshots] keyring, or use --insecure (recorded)"
        case .badSignature, .digestMismatch, .truncated, .sizeMismatch:
            return "the mirror's copy is damaged or tampered with; try again later or another mirror"
        case .expiredKey, .revokedKey: return "refresh the key in keys/ from a trusted source"
        default: return nil
        }
    }
}
