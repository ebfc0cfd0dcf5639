import Foundation

/// One configured mirror: a base URL under which files sit at Gentoo's
/// paths (`snapshots/…`, `releases/…`). Checked once when the settings are
/// read, so a plain `http://` mirror is refused before anything is fetched.
public struct Mirror: Sendable, Hashable, CustomStringConvertible {
    /// How files are reached: copied from a local directory, or over HTTP(S).
    public enum Scheme: String, Sendable { case file, http, https }

    /// The base URL without a trailing slash.
    public let base: String
    public let scheme: Scheme

    public init(_ text: String, allowHTTP: Bool) throws {
        var base = text.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") && !base.hasSuffix("://") { base.removeLast() }
        guard let url = URL(string: base), let raw = url.scheme?.lowercased() else {
            throw ArtifactError.invalidMirror(text, reason: "not a URL")
        }
        guard let scheme = Scheme(rawValue: raw) else {
            throw ArtifactError.invalidMirror(text, reason: "use https://, file:// or (when allowed) http://")
        }
        switch scheme {
        case .file:
            guard url.host == nil || url.host == "" || url.host == "localhost", url.path.hasPrefix("/") else {
                throw ArtifactError.invalidMirror(text, reason: "a file:// mirror must name an absolute local path")
            }
        case .http, .https:
            guard let host = url.host, !host.isEmpty else {
                throw ArtifactError.invalidMirror(text, reason: "no host")
            }
        }
        if scheme == .http && !allowHTTP { throw ArtifactError.httpNotAllowed(text) }
        self.base = base
        self.scheme = scheme
    }

    /// Parses a list of mirrors, refusing an empty one.
    public static func list(_ texts: [String], allowHTTP: Bool, what: String) throws -> [Mirror] {
        let mirrors = try texts.map { try Mirror($0, allowHTTP: allowHTTP) }
        if mirrors.isEmpty { throw ArtifactError.noMirrors(what: what) }
        return mirrors
    }

    /// The URL of `relativePath` (already checked to be a safe relative path) on this mirror.
    public func url(for relativePath: String) -> URL {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        let encoded = relativePath.addingPercentEncoding(withAllowedCharacters: allowed) ?? relativePath
        return URL(string: base + "/" + encoded)!
    }

    /// For `file://` mirrors, the local directory.
    public var localRoot: String? { scheme == .file ? URL(string: base)?.path : nil }

    public var description: String { base }
}
