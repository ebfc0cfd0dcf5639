import Foundation

/// A catalyst command that is the simulator under another identity: it
/// answers `--version` with its own text and runs `catalyst-sim` for
/// everything else — what a catalyst upgrade looks like to cbuild.
public enum CatalystWrapper {
    /// Writes (or rewrites) the wrapper at `path`, answering `version`.
    @discardableResult
    public static func write(at path: String, version: String) throws -> String {
        let script = """
            #!/bin/sh
            if [ "$1" = --version ]; then echo "\(version)"; exit 0; fi
            exec "\(BuiltProducts.path("catalyst-sim"))" "$@"

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }
}
