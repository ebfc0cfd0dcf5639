import CBuildBasics
import Foundation

/// How one fetch treats signatures: checked by gpgv against the keyring
/// (built once, before anything is downloaded, so a missing key file fails
/// fast), or — only with an explicit `--insecure` — not checked at all, with
/// a loud warning. Digests are checked either way.
struct SignaturePolicy {
    let insecure: Bool
    private let verifier: SignatureVerifier?

    init(insecure: Bool, keyring: [String], systemKeyFile: String?, root: String, runner: ProcessRunning,
         events: EventSink, what: String) throws {
        self.insecure = insecure
        if insecure {
            verifier = nil
            events.emit(.diagnostic(Diagnostic(
                .warning, "--insecure: OpenPGP signatures of \(what) are NOT checked; only published digests are",
                hint: "the fetch is recorded as insecure; fetch again without --insecure to verify it")))
            return
        }
        let keys = try Keyring(configured: keyring, systemKeyFile: systemKeyFile)
        let keyringPath = root + "/.cache/keyring.gpg"
        try keys.write(to: keyringPath)
        verifier = try SignatureVerifier(keyringPath: keyringPath, homeDirectory: root + "/.cache/gnupg", runner: runner)
    }

    /// The signed text of a clearsigned file (and the signer), never the text around it.
    func clearsigned(_ path: String, display: String) throws -> (fingerprint: String?, text: String) {
        if let verifier {
            let (fpr, text) = try verifier.verifyClearsigned(file: path, display: display)
            return (fpr, text)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArtifactError.io(path: path, reason: "cannot read")
        }
        return (nil, ClearsignedText.extract(String(decoding: data, as: UTF8.self)))
    }

    /// Checks a detached signature; nil under `--insecure`.
    func detached(file: String, signature: String?, display: String) throws -> String? {
        guard let verifier else { return nil }
        guard let signature else { throw ArtifactError.verificationFailed(file: display, reason: .noSignature) }
        return try verifier.verifyDetached(file: file, signature: signature, display: display)
    }
}
