/// The signed text of a clearsigned OpenPGP message, extracted WITHOUT
/// checking the signature — used only under `--insecure`, where no signature
/// is checked but text outside the signed block must still be ignored.
/// Normally the text comes from gpgv (`SignatureVerifier.verifyClearsigned`).
enum ClearsignedText {
    /// The text between the armor header block and the signature, with
    /// dash-escaping undone; a file that is not clearsigned at all is returned whole.
    static func extract(_ message: String) -> String {
        let lines = message.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard let begin = lines.firstIndex(of: "-----BEGIN PGP SIGNED MESSAGE-----") else { return message }
        var i = begin + 1
        while i < lines.count && !lines[i].isEmpty { i += 1 } // "Hash: SHA512" headers
        i += 1
        var text: [String] = []
        while i < lines.count && lines[i] != "-----BEGIN PGP SIGNATURE-----" {
            let line = lines[i]
            text.append(line.hasPrefix("- ") ? String(line.dropFirst(2)) : line)
            i += 1
        }
        return text.joined(separator: "\n") + "\n"
    }
}
