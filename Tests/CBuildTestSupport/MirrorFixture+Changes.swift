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

    /// Adds the stage3 release `ident` (a small real tar.xz with its `.asc`
    /// and clearsigned `.DIGESTS`) and, when `listed`, re-signs the
    /// latest-stage3 listing to name it.
    public func addSeed(ident: String, listed: Bool = true) throws {
        let tree = try TemporaryDirectory(prefix: "cbuild-seedtree"); defer { tree.remove() }
        try tree.write("etc/gentoo-release", "Gentoo Base System release 2.17\n")
        try tree.write("etc/os-release", "NAME=Gentoo\nID=gentoo\nBUILD_ID=\"\(ident)\"\n")
        let stage = "stage3-\(Self.arch)-\(Self.variant)-\(ident).tar.xz"
        let dir = "releases/\(Self.arch)/autobuilds/\(ident)"
        try FileManager.default.createDirectory(atPath: path(dir), withIntermediateDirectories: true)
        let r = try SystemProcessRunner().run(["tar", "-C", tree.path, "--owner=0", "--group=0", "--numeric-owner",
                                                "-cJf", path(dir + "/" + stage), "."])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "tar", reason: r.stderrString) }
        try signer.detachSign(path(dir + "/" + stage), output: path(dir + "/" + stage + ".asc"))
        let b2 = try ContentHasher.digestFile(at: path(dir + "/" + stage), .blake2b512).hex
        let sha = try ContentHasher.digestFile(at: path(dir + "/" + stage), .sha512).hex
        let digests = tree.path + "/DIGESTS"
        try "# BLAKE2B HASH\n\(b2)  \(stage)\n# SHA512 HASH\n\(sha)  \(stage)\n".write(toFile: digests, atomically: true, encoding: .utf8)
        try signer.clearsign(digests, output: path(dir + "/" + stage + ".DIGESTS"))
        if listed {
            let size = try FileManager.default.attributesOfItem(atPath: path(dir + "/" + stage))[.size] as? Int64 ?? 0
            try writeClearsigned(listingPath, "# Latest\n\(ident)/\(stage) \(size)\n")
        }
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
