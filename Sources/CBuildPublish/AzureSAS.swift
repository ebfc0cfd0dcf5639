import Foundation

/// A container SAS URL as read from `sas_url_file`
/// (`https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=…&sig=…`): the
/// container URL and the signature query, kept apart so the query is
/// sent but never shown, logged or stored.
public struct AzureSAS: Sendable, CustomStringConvertible {
    /// `https://acct.blob.core.windows.net/images`, no trailing slash.
    public let container: String
    /// `sv=…&sig=…`, as written (already encoded).
    let query: String

    public var description: String { "\(container) (SAS query hidden)" }

    /// Reads and checks the file; the error never quotes its content.
    public static func read(root: String, file: String) throws(PublishError) -> AzureSAS {
        guard let text = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else {
            throw .credentials("cannot read the SAS URL file \(file) ([publish.azure] sas_url_file)")
        }
        return try parse(text.trimmingCharacters(in: .whitespacesAndNewlines), file: file)
    }

    public static func parse(_ text: String, file: String) throws(PublishError) -> AzureSAS {
        guard let q = text.firstIndex(of: "?") else {
            throw .credentials("\(file) holds no SAS query (expected https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=…&sig=…)")
        }
        var base = String(text[..<q])
        let query = String(text[text.index(after: q)...])
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("https://") || base.hasPrefix("http://"), let url = URL(string: base), url.host != nil,
              url.path.split(separator: "/").count >= 1 else {
            throw .credentials("\(file) does not hold a container URL (expected https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=…&sig=…)")
        }
        guard query.split(separator: "&").contains(where: { $0.hasPrefix("sig=") }) else {
            throw .credentials("the SAS URL in \(file) has no sig= signature")
        }
        return AzureSAS(container: base, query: query)
    }

    /// The blob's URL without the SAS, path segments encoded.
    public func blobURL(_ name: String) -> String {
        container + "/" + name.split(separator: "/").map { SigV4Signer.percentEncode(String($0)) }.joined(separator: "/")
    }
}
