/// What gpgv's machine-readable `--status-fd` lines say about a signature.
/// Human messages are never parsed: only `[GNUPG:] KEYWORD args` lines.
struct GPGStatus: Equatable {
    /// Good (with the signer) or failed (with the reason).
    enum Verdict: Equatable {
        /// A good signature; the fingerprint of the primary key that made it.
        case good(fingerprint: String)
        case failed(VerificationFailure)
    }

    private(set) var lines: [(keyword: String, args: [String])] = []

    init(_ output: String) {
        for raw in output.split(whereSeparator: \.isNewline) {
            guard raw.hasPrefix("[GNUPG:] ") else { continue }
            let fields = raw.dropFirst("[GNUPG:] ".count).split(separator: " ").map(String.init)
            guard let keyword = fields.first else { continue }
            lines.append((keyword, Array(fields.dropFirst())))
        }
    }

    static func == (a: GPGStatus, b: GPGStatus) -> Bool {
        a.lines.map { [$0.keyword] + $0.args } == b.lines.map { [$0.keyword] + $0.args }
    }

    private func first(_ keyword: String) -> [String]? { lines.first { $0.keyword == keyword }?.args }

    /// The verdict, given gpgv's exit status. Any bad, expired or revoked
    /// signature fails even when another signature in the file is good.
    func verdict(exitStatus: Int32) -> Verdict {
        if let a = first("BADSIG") { return .failed(.badSignature(keyID: a.first ?? "?")) }
        if let a = first("EXPKEYSIG") { return .failed(.expiredKey(keyID: a.first ?? "?")) }
        if let a = first("REVKEYSIG") { return .failed(.revokedKey(keyID: a.first ?? "?")) }
        if let a = first("EXPSIG") { return .failed(.expiredSignature(keyID: a.first ?? "?")) }
        if exitStatus == 0, first("GOODSIG") != nil, let valid = first("VALIDSIG"), let fpr = valid.first {
            // VALIDSIG: fpr date timestamp expire version reserved pkalgo hashalgo class primary-fpr
            let primary = valid.count >= 10 ? valid[9] : fpr
            return .good(fingerprint: primary.uppercased())
        }
        if let a = first("NO_PUBKEY") { return .failed(.unknownKey(keyID: a.first ?? "?")) }
        if let a = first("ERRSIG") {
            // rc 9 is "missing public key" on gpg versions that omit NO_PUBKEY.
            if a.count >= 6, a[5] == "9" { return .failed(.unknownKey(keyID: a[0])) }
            return .failed(.gpgvFailed("signature could not be checked (ERRSIG \(a.joined(separator: " ")))"))
        }
        if first("NODATA") != nil || lines.isEmpty { return .failed(.noSignature) }
        return .failed(.gpgvFailed("exit status \(exitStatus)"))
    }
}
