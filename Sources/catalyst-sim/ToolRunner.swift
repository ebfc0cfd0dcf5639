import CBuildBasics
import Foundation

/// Runs helper tools (tar, cp, compressors) for the simulator through
/// CBuildBasics' process runner with a fixed, locale-neutral environment.
enum ToolRunner {
    static func run(_ argv: [String], input: [UInt8]? = nil, extraEnvironment: [String: String] = [:]) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        for k in ["XZ_OPT", "XZ_DEFAULTS", "GZIP", "BZIP2", "BZIP", "TAR_OPTIONS"] { env[k] = nil }
        env["LC_ALL"] = "C"
        env["TZ"] = "UTC"
        for (k, v) in extraEnvironment { env[k] = v }
        do {
            return try SystemProcessRunner().run(argv, environment: env, currentDirectory: nil, input: input)
        } catch {
            throw SimFailure.python(PythonException("FileNotFoundError", "\(error)"))
        }
    }
}
