import Foundation

/// Turns an OpenPGP public key file into the binary packets gpgv reads:
/// ASCII-armoured blocks decoded (headers and the CRC-24 line skipped), or
/// the file itself when it already is binary (first byte has bit 7 set).
/// Shared by the download keyring and the cache's record signatures.
public enum OpenPGPArmor {
    /// nil when the file is neither armour nor binary OpenPGP, or a block does not decode.
    public static func publicKeyPackets(_ data: Data) -> Data? {
        guard let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") else {
            if let first = data.first, first & 0x80 != 0 { return data }
            return nil
        }
        var out = Data()
        var inBlock = false, inBody = false
        var base64 = ""
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if !inBlock {
                if line == "-----BEGIN PGP PUBLIC KEY BLOCK-----" { inBlock = true; inBody = false; base64 = "" }
                continue
            }
            if line.hasPrefix("-----END PGP PUBLIC KEY BLOCK-----") {
                guard let decoded = Data(base64Encoded: base64) else { return nil }
                out.append(decoded)
                inBlock = false
                continue
            }
            if !inBody {
                // Armour headers ("Comment: …") end at the first empty line;
                // some writers emit no headers and no empty line at all.
                if line.isEmpty { inBody = true; continue }
                if line.contains(": ") { continue }
                inBody = true
            }
            if line.hasPrefix("=") && line.count == 5 { continue } // CRC-24 checksum line
            base64 += line
        }
        return out.isEmpty ? nil : out
    }
}
