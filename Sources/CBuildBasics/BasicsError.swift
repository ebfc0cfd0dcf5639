import Foundation

/// Errors of the bottom layer: file-system and process failures with the path
/// and the operation that failed.
public enum BasicsError: Error, CustomStringConvertible, Sendable {
    case io(path: String, operation: String, errno: Int32)
    case processLaunch(executable: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case let .processLaunch(executable, reason):
            return "cannot run \(executable): \(reason)"
        }
    }
}
