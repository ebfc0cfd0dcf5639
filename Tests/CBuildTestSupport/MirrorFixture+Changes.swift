import CBuildBasics
import Foundation

/// Changes a test makes to its copy of the mirror: one more dated flavour-4
/// snapshot listed in a re-signed `sha512sum.txt`, or a signed listing whose
/// text no longer matches its signature.
extension MirrorFixture {
    public static let sha512List = "snapshots/squashfs/sha512sum.txt"

    /// The signed text of a clearsigned mirror file (lines between the
    /// header's blank line and the signature; the test files have no dash-escaped lines).
    public func signedText(_ relative: String) throws -> String {
        let text = try String(contentsOfFile: path(relative), encoding: .utf8)
        guard let start = text.range(of: "\n\n"), let end = text.range(of: "\n-----BEGIN PGP SIGNATURE-----") else {
            throw NSError(domain: "MirrorFixture", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(relative) is not clearsigned"])
        }
        return String(text[start.upperBound..<end.lowerBound]) + "\n"
    }

    /// Adds `snapshots/squashfs/gentoo-DATE.xz.sqfs` (a small real squashfs)
    /// and re-signs `sha512sum.txt` with it listed.
    public func addSnapshot(date: String) throws {
        let tree = try TemporaryDirectory(prefix: "cbuild-snaptree"); defer { tree.remove() }
        try tree.write("profiles/repo_name", "gentoo\n")
        try tree.write("metadata/timestamp.chk", "\(date)\n")
        let file = "gentoo-\(date).xz.sqfs"
        let r = try SystemProcessRunner().run(["mksquashfs", tree.path, path("snapshots/squashfs/" + file),
                                                "-noappend", "-quiet", "-comp", "xz", "-all-root"])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "mksquashfs", reason: r.stderrString) }
        let sum = try ContentHasher.digestFile(at: path("snapshots/squashfs/" + file), .sha512).hex
        try writeClearsigned(Self.sha512List, try signedText(Self.sha512List) + "\(sum)  \(file)\n")
    }

    /// Changes one digit of the first digest in a clearsigned listing without
    /// re-signing it: gpgv then reports a BAD signature.
    public func breakSignedText(_ relative: String) throws {
        let text = try String(contentsOfFile: path(relative), encoding: .utf8)
        guard let start = text.range(of: "\n\n") else { throw NSError(domain: "MirrorFixture", code: 3) }
        var chars = Array(text)
        let i = text.distance(from: text.startIndex, to: start.upperBound)
        chars[i] = chars[i] == "0" ? "1" : "0"
        try String(chars).write(toFile: path(relative), atomically: true, encoding: .utf8)
    }
}
