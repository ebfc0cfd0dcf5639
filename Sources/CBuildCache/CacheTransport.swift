import CBuildBasics
import Foundation

/// The five requests the cache protocol needs, against paths below the
/// cache's base URL (`ac/<key>`, `cas/<sha256>`). Calls block the calling
/// thread; bodies stream between the socket and files, never whole in
/// memory. A missing resource is nil, not an error.
public protocol CacheTransport: Sendable {
    /// The base URL requests are made against, for messages.
    var base: String { get }
    /// The resource's size (`HEAD`), nil when absent.
    func head(_ path: String) throws(TransportError) -> Int64?
    /// A small body (`GET`), nil when absent; longer than `limit` is an error.
    func get(_ path: String, limit: Int) throws(TransportError) -> [UInt8]?
    /// Streams a body (`GET`) into `fd`, hashing it with SHA-256 on the way;
    /// `progress(bytes, total)` is called as data arrives. Nil when absent.
    func download(_ path: String, into fd: Int32,
                  progress: (Int64, Int64?) -> Void) throws(TransportError) -> (bytes: Int64, sha256: Digest)?
    /// Stores a small body (`PUT`).
    func put(_ path: String, body: [UInt8]) throws(TransportError)
    /// Streams a file as the body of a `PUT`; `progress(bytes)` as it goes.
    func upload(_ path: String, file: String, progress: (Int64) -> Void) throws(TransportError)
}

/// Picks the transport for a URL: plain `http://` goes over the project's
/// own socket client (loopback and LAN cache servers; fastest),
/// `https://` through URLSession (TLS).
public enum CacheTransports {
    public static func make(base: String, token: String?, timeout: TimeInterval) throws(TransportError) -> any CacheTransport {
        if base.hasPrefix("http://") { return try SocketHTTPTransport(base: base, token: token, timeout: timeout) }
        return URLSessionTransport(base: base, token: token, timeout: timeout)
    }
}
