import CBuildBasics

/// Errors raised by commands themselves (bad flag combinations, a finished
/// build with failures) with their documented exit status.
public struct CommandError: UserError {
    public var exitStatus: ExitStatus
    public var message: String
    public var hint: String?
    public init(_ message: String, exit: ExitStatus = .usage, hint: String? = nil) {
        self.message = message; self.exitStatus = exit; self.hint = hint
    }
}

/// Ends a command with an exit status after its output was printed (no message).
public struct ExitWith: Error {
    public var status: ExitStatus
    public init(_ status: ExitStatus) { self.status = status }
}
