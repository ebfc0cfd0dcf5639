/// A Python exception that catalyst does not catch: it ends the process
/// with a traceback on stderr and exit status 1.
struct PythonException: Error, Equatable, Sendable {
    var type: String
    var message: String

    init(_ type: String, _ message: String) {
        self.type = type
        self.message = message
    }

    /// The last line of the traceback, e.g. `ValueError: incomplete format`.
    var line: String { message.isEmpty ? type : "\(type): \(message)" }
}
