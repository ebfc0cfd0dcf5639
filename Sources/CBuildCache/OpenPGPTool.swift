import CBuildBasics
import Foundation

/// gpg and gpgv for cache records. Verification needs only gpgv: the
/// `trust` key files (armoured or binary) are joined into one binary
/// keyring in the work directory, and only gpgv's `[GNUPG:]` status lines
/// are read. Signing imports the armoured secret key into a private
/// GNUPGHOME in the work directory (keys without a passphrase), and
/// `close()` stops the gpg-agent that started.
final class OpenPGPTool: @unchecked Sendable {
    let trust: [String]
    let secretKeyFile: String?
    let workDirectory: String
    private let runner = SystemProcessRunner()
    private let lock = NSLock()
    private var keyring: Result<String, CacheProblem>?
    private var signingHome: Result<String, CacheProblem>?
    private var counter = 0

    init(trust: [String], secretKeyFile: String?, workDirectory: String) {
        self.trust = trust; self.secretKeyFile = secretKeyFile; self.workDirectory = workDirectory
    }

    var canVerify: Bool { !trust.isEmpty }

    /// The fingerprint of the good signature, or why there is none.
    func verify(_ text: String, signature: String) -> Result<String, CacheProblem> {
        lock.lock(); defer { lock.unlock() }
        let ring: String
        switch preparedKeyring() {
        case let .success(path): ring = path
        case let .failure(problem): return .failure(problem)
        }
        guard let gpgv = Executables.find("gpgv") else { return .failure(.verification("gpgv is not installed")) }
        counter += 1
        let textFile = workDirectory + "/verify-\(counter).json", sigFile = textFile + ".asc"
        defer { unlink(textFile); unlink(sigFile) }
        guard FileManager.default.createFile(atPath: textFile, contents: Data(text.utf8)),
              FileManager.default.createFile(atPath: sigFile, contents: Data(signature.utf8)) else {
            return .failure(.local("cannot write temporary files in \(workDirectory)"))
        }
        let home = workDirectory + "/gpgv-home"
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        var env = ProcessInfo.processInfo.environment
        env["GNUPGHOME"] = home
        env["LC_ALL"] = "C"
        guard let result = try? runner.run([gpgv, "--status-fd", "1", "--keyring", ring, sigFile, textFile],
                                           environment: env, currentDirectory: nil, input: nil) else {
            return .failure(.verification("gpgv could not be run"))
        }
        return Self.verdict(status: result.stdoutString, exitStatus: result.signaled ? -1 : result.status)
    }

    /// Reads gpgv's status lines: a good signature needs exit 0, GOODSIG and
    /// VALIDSIG, and no BADSIG/EXPKEYSIG/REVKEYSIG/EXPSIG/ERRSIG.
    static func verdict(status: String, exitStatus: Int32) -> Result<String, CacheProblem> {
        var lines: [String: [String]] = [:]
        for raw in status.split(whereSeparator: \.isNewline) where raw.hasPrefix("[GNUPG:] ") {
            let fields = raw.dropFirst("[GNUPG:] ".count).split(separator: " ").map(String.init)
            if let k = fields.first, lines[k] == nil { lines[k] = Array(fields.dropFirst()) }
        }
        for (k, why) in [("BADSIG", "bad signature"), ("EXPKEYSIG", "signed by an expired key"),
                         ("REVKEYSIG", "signed by a revoked key"), ("EXPSIG", "expired signature")] {
            if let a = lines[k] { return .failure(.verification("\(why) (key \(a.first ?? "?"))")) }
        }
        if exitStatus == 0, lines["GOODSIG"] != nil, let valid = lines["VALIDSIG"], let fpr = valid.first {
            return .success((valid.count >= 10 ? valid[9] : fpr).uppercased())
        }
        if let a = lines["NO_PUBKEY"] ?? lines["ERRSIG"] {
            return .failure(.verification("signed by key \(a.first ?? "?"), which is not in trust"))
        }
        if lines["NODATA"] != nil { return .failure(.verification("no signature found")) }
        return .failure(.verification("gpgv exited with status \(exitStatus)"))
    }

    /// An armoured detached signature of `text`.
    func sign(_ text: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        let home = try preparedSigningHome().get()
        counter += 1
        let textFile = workDirectory + "/sign-\(counter).json", sigFile = textFile + ".asc"
        defer { unlink(textFile); unlink(sigFile) }
        guard FileManager.default.createFile(atPath: textFile, contents: Data(text.utf8)) else {
            throw CacheProblem.local("cannot write temporary files in \(workDirectory)")
        }
        let r = try gpg(home, ["--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
                               "--armor", "--detach-sign", "--output", sigFile, textFile])
        guard r.succeeded, let sig = FileManager.default.contents(atPath: sigFile) else {
            throw CacheProblem.signing("gpg --detach-sign failed: \(r.stderrString.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: sig, as: UTF8.self)
    }

    /// Stops the gpg-agent the signing home started.
    func close() {
        lock.lock(); defer { lock.unlock() }
        if case let .success(home)? = signingHome, let gpgconf = Executables.find("gpgconf") {
            _ = try? runner.run([gpgconf, "--homedir", home, "--kill", "all"])
        }
        signingHome = nil
    }

    private func preparedKeyring() -> Result<String, CacheProblem> {
        if let keyring { return keyring }
        let path = workDirectory + "/trust.gpg"
        var packets = Data()
        for file in trust {
            guard let data = FileManager.default.contents(atPath: file) else {
                keyring = .failure(.verification("cannot read trust key \(file)")); return keyring!
            }
            guard let binary = Self.binaryPackets(data) else {
                keyring = .failure(.verification("\(file) is not an OpenPGP public key")); return keyring!
            }
            packets.append(binary)
        }
        keyring = FileManager.default.createFile(atPath: path, contents: packets)
            ? .success(path) : .failure(.local("cannot write \(path)"))
        return keyring!
    }

    private func preparedSigningHome() -> Result<String, CacheProblem> {
        if let signingHome { return signingHome }
        guard let secretKeyFile else { signingHome = .failure(.signing("no OpenPGP sign_key")); return signingHome! }
        let home = workDirectory + "/gnupg"
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let r = try gpg(home, ["--batch", "--quiet", "--import", secretKeyFile])
            signingHome = r.succeeded ? .success(home)
                : .failure(.signing("gpg --import \(secretKeyFile) failed: \(r.stderrString.trimmingCharacters(in: .whitespacesAndNewlines))"))
        } catch {
            signingHome = .failure(.signing("\(error)"))
        }
        return signingHome!
    }

    private func gpg(_ home: String, _ args: [String]) throws -> ProcessResult {
        guard let gpg = Executables.find("gpg") else { throw CacheProblem.signing("gpg is not installed") }
        var env = ProcessInfo.processInfo.environment
        env["GNUPGHOME"] = home
        env["LC_ALL"] = "C"
        return try runner.run([gpg] + args, environment: env, currentDirectory: nil, input: nil)
    }

    /// The binary packets of a public key file: armour decoded, or the
    /// file itself when it already is binary (first byte has bit 7 set).
    static func binaryPackets(_ data: Data) -> Data? {
        OpenPGPArmor.publicKeyPackets(data)
    }
}
