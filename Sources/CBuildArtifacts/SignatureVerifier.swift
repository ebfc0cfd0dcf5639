import CBuildBasics
import Foundation

/// Checks OpenPGP signatures with `gpgv` against one keyring file: detached
/// signatures (`.gpgsig`, `.asc`) and clearsigned files. For a clearsigned
/// file it returns only the text gpgv says is signed (`--output -`), so text
/// outside the signed block can never reach a parser.
public struct SignatureVerifier: Sendable {
    public let keyringPath: String
    public let runner: ProcessRunning
    public let gpgv: String
    /// An empty private home so gpgv never reads or creates `~/.gnupg`.
    public let homeDirectory: String

    public init(keyringPath: String, homeDirectory: String, runner: ProcessRunning, gpgv: String = "gpgv") throws {
        guard let found = Executables.find(gpgv) else { throw ArtifactError.toolMissing(gpgv) }
        self.keyringPath = keyringPath
        self.homeDirectory = homeDirectory
        self.runner = runner
        self.gpgv = found
    }

    /// Verifies `signature` over `file`; returns the signing key's fingerprint.
    /// `display` names the file in errors (its URL or file name).
    public func verifyDetached(file: String, signature: String, display: String) throws -> String {
        let result = try run(["--status-fd", "2", "--keyring", keyringPath, signature, file])
        return try fingerprint(result, display: display)
    }

    /// Verifies a clearsigned file; returns the fingerprint and the signed text only.
    public func verifyClearsigned(file: String, display: String) throws -> (fingerprint: String, text: String) {
        let result = try run(["--status-fd", "2", "--keyring", keyringPath, "--output", "-", file])
        let fpr = try fingerprint(result, display: display)
        return (fpr, result.stdoutString)
    }

    private func run(_ args: [String]) throws -> ProcessResult {
        try FileManager.default.createDirectory(atPath: homeDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var env = ProcessInfo.processInfo.environment
        env["GNUPGHOME"] = homeDirectory
        env["LC_ALL"] = "C"
        do {
            return try runner.run([gpgv] + args, environment: env, currentDirectory: nil, input: nil)
        } catch {
            throw ArtifactError.toolMissing("gpgv (\(error))")
        }
    }

    private func fingerprint(_ result: ProcessResult, display: String) throws -> String {
        switch GPGStatus(result.stderrString).verdict(exitStatus: result.signaled ? -1 : result.status) {
        case let .good(fpr): return fpr
        case let .failed(reason): throw ArtifactError.verificationFailed(file: display, reason: reason)
        }
    }
}
