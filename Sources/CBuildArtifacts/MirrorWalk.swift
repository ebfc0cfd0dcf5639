import CBuildBasics
import Foundation

/// One fetch's walk over the mirrors, in order: downloads into the staging
/// directory (`artifacts/.partial/`), skips mirrors that were unreachable
/// earlier in the same fetch, and keeps what each mirror answered so that
/// "not found anywhere" can say why.
final class MirrorWalk {
    let mirrors: [Mirror]
    let downloader: Downloader
    let staging: String
    let events: EventSink
    private var down = Set<Mirror>()
    private(set) var attempts: [String] = []

    init(mirrors: [Mirror], downloader: Downloader, staging: String, events: EventSink) throws {
        self.mirrors = mirrors
        self.downloader = downloader
        self.staging = staging
        self.events = events
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw ArtifactError.io(path: staging, reason: "cannot create the download directory: \(error)")
        }
    }

    /// The mirrors still worth asking, in order.
    var usable: [Mirror] { mirrors.filter { !down.contains($0) } }

    func note(_ mirror: Mirror, _ text: String) { attempts.append("\(mirror): \(text)") }

    /// Downloads `relativePath` from `mirror` to `staging/<localName>`.
    /// Returns nil when this mirror cannot deliver it (the reason is kept);
    /// throws only for local failures. Small files are fetched fresh
    /// (`resume: false`); large ones continue an earlier partial file.
    func get(_ relativePath: String, from mirror: Mirror, as localName: String, resume: Bool) throws -> String? {
        let destination = staging + "/" + localName
        let url = mirror.url(for: relativePath)
        if let local = mirror.localRoot {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: local, isDirectory: &isDirectory), isDirectory.boolValue else {
                note(mirror, "the directory \(local) does not exist")
                down.insert(mirror)
                events.emit(.diagnostic(Diagnostic(.note, "mirror \(mirror) does not exist; trying the next one")))
                return nil
            }
        }
        do {
            try downloader.download(url, to: destination, resume: resume)
            return destination
        } catch let failure as DownloadFailure {
            if case let .localIO(reason) = failure { throw ArtifactError.io(path: destination, reason: reason) }
            note(mirror, "\(relativePath): \(failure)")
            switch failure {
            case let .unreachable(reason):
                down.insert(mirror)
                events.emit(.diagnostic(Diagnostic(.note, "mirror \(mirror) is unreachable (\(reason)); trying the next one")))
            case .interrupted:
                events.emit(.diagnostic(Diagnostic(.warning, "download of \(url.absoluteString) broke off; the partial file is kept and resumed next time")))
            default:
                break
            }
            if !resume { unlink(destination) }
            return nil
        }
    }

    /// Where a large file is downloaded before verification.
    func partialPath(_ localName: String) -> String { staging + "/" + localName }

    /// Removes staged small files.
    func discard(_ paths: String?...) {
        for case let path? in paths { unlink(path) }
    }
}
