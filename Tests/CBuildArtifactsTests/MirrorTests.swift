import CBuildArtifacts
import Testing

@Suite struct MirrorTests {
    @Test func mirrorsAreCheckedBeforeUse() throws {
        let m = try Mirror("https://distfiles.gentoo.org/", allowHTTP: false)
        #expect(m.base == "https://distfiles.gentoo.org" && m.scheme == .https)
        #expect(m.url(for: "snapshots/squashfs/gentoo-20261124.xz.sqfs").absoluteString
                == "https://distfiles.gentoo.org/snapshots/squashfs/gentoo-20261124.xz.sqfs")
        #expect(try Mirror("file:///srv/gentoo-mirror", allowHTTP: false).localRoot == "/srv/gentoo-mirror")
        #expect(throws: ArtifactError.httpNotAllowed("http://mirror.example")) { try Mirror("http://mirror.example", allowHTTP: false) }
        #expect(try Mirror("http://mirror.example", allowHTTP: true).scheme == .http)
        for bad in ["ftp://mirror.example", "mirror.example", "file://relative/path", "https://"] {
            #expect(artifactError { _ = try Mirror(bad, allowHTTP: true) }?.exitStatus == .usage, "\(bad)")
        }
        #expect(throws: ArtifactError.noMirrors(what: "snapshots")) { try Mirror.list([], allowHTTP: false, what: "snapshots") }
    }
}
