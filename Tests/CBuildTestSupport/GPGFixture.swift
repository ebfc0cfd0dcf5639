import CBuildBasics
import Foundation

/// A throwaway OpenPGP signing key in its own GNUPGHOME (no passphrase),
/// for tests that sign, re-sign or tamper with mirror files. `expired: true`
/// makes a key that was valid for two days in 2020 and signs at that time,
/// so gpgv reports the signature as made by an expired key.
public final class GPGFixture: Sendable {
    public let home: String
    public let fingerprint: String
    /// The public key, ASCII-armored.
    public let publicKeyFile: String
    private let fakedTime: String?

    public init(name: String = "cbuild test key", expired: Bool = false) throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-gpg")
        home = dir.path
        chmod(home, 0o700)
        fakedTime = expired ? "20200102T000000" : nil
        var args = ["--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
        if expired { args += ["--faked-system-time", "20200101T000000"] }
        args += ["--quick-gen-key", "\(name) <test@cbuild.invalid>", "ed25519", "sign", expired ? "2d" : "never"]
        try Self.gpg(home, args)
        let listing = try Self.gpg(home, ["--batch", "--with-colons", "--list-secret-keys"]).stdoutString
        guard let fpr = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?
            .split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first else {
            throw NSError(domain: "GPGFixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "no fingerprint in: \(listing)"])
        }
        fingerprint = String(fpr)
        publicKeyFile = home + "/public.asc"
        let exported = try Self.gpg(home, ["--batch", "--armor", "--export", fingerprint])
        _ = FileManager.default.createFile(atPath: publicKeyFile, contents: Data(exported.stdout))
    }

    /// Writes an armored detached signature of `file` to `output`.
    public func detachSign(_ file: String, output: String) throws {
        try sign(["--armor", "--detach-sign", "--output", output, file])
    }

    /// Clearsigns `input` into `output`.
    public func clearsign(_ input: String, output: String) throws {
        try sign(["--clearsign", "--output", output, input])
    }

    private func sign(_ args: [String]) throws {
        var all = ["--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", fingerprint]
        if let fakedTime { all += ["--faked-system-time", fakedTime] }
        try Self.gpg(home, all + args)
    }

    /// Stops the gpg-agent this home started and deletes the home.
    public func remove() {
        _ = try? SystemProcessRunner().run(["gpgconf", "--homedir", home, "--kill", "all"])
        try? FileManager.default.removeItem(atPath: home)
    }

    @discardableResult
    static func gpg(_ home: String, _ args: [String]) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["GNUPGHOME"] = home
        let result = try SystemProcessRunner().run(["gpg"] + args, environment: env, currentDirectory: nil, input: nil)
        guard result.succeeded else {
            throw NSError(domain: "GPGFixture", code: Int(result.status),
                          userInfo: [NSLocalizedDescriptionKey: "gpg \(args.joined(separator: " ")): \(result.stderrString)"])
        }
        return result
    }
}
