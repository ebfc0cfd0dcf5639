import CBuildBasics

/// Everything that can go wrong while publishing, each case with what the
/// user needs to act: the endpoint, the AWS or Azure error code and
/// message, the file. None carries a credential or a SAS query.
public enum PublishError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable credentials (none found, half set, unreadable file).
    case credentials(String)
    /// The endpoint did not answer (refused, timed out, DNS, TLS).
    case unreachable(endpoint: String, reason: String)
    /// The service refused the credentials or their signature.
    case authentication(service: String, code: String, message: String)
    /// The service answered with an error.
    case service(service: String, operation: String, status: Int, code: String, message: String)
    /// The service answered something cbuild cannot read.
    case malformedResponse(service: String, operation: String, detail: String)
    /// The image file could not be read.
    case image(path: String, problem: String)
    /// The snapshot did not become `completed`.
    case snapshotFailed(snapshot: String, state: String)
    /// `CBUILD_TEST_PUBLISH_FAIL_AFTER` stopped the upload (tests of interruption).
    case injectedFailure(after: Int)
    /// The configured image command failed.
    case imageCommandFailed(command: String, status: Int32)

    public var description: String {
        switch self {
        case let .credentials(s): return s
        case let .unreachable(endpoint, reason): return "cannot reach \(endpoint): \(reason)"
        case let .authentication(service, code, message):
            return "\(service) refused the credentials (\(code)): \(message)"
        case let .service(service, operation, status, code, message):
            return "\(service) \(operation) failed with HTTP \(status) \(code): \(message)"
        case let .malformedResponse(service, operation, detail):
            return "\(service) \(operation): unreadable response (\(detail))"
        case let .image(path, problem): return "\(path): \(problem)"
        case let .snapshotFailed(snapshot, state): return "snapshot \(snapshot) ended in state '\(state)'"
        case let .injectedFailure(after): return "upload stopped after \(after) requests (CBUILD_TEST_PUBLISH_FAIL_AFTER)"
        case let .imageCommandFailed(command, status): return "image_command \(command) exited with status \(status)"
        }
    }

    /// Error codes AWS uses for bad keys, signatures and tokens.
    static let authenticationCodes: Set<String> = [
        "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
        "InvalidSignatureException", "ExpiredToken", "ExpiredTokenException", "IncompleteSignature",
        "MissingAuthenticationToken", "AccessDeniedException", "UnauthorizedOperation", "AccessDenied",
        "AuthenticationFailed",
    ]
}
