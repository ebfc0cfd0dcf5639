import CBuildArtifacts
import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

@Suite struct SignatureVerifierTests {
    /// A keyring built from armored key files, a verifier over it, and a file to sign.
    struct Setup {
        let dir: TemporaryDirectory
        let verifier: SignatureVerifier
        let data: String

        init(keys: [String]) throws {
            dir = try TemporaryDirectory()
            try Keyring(configured: keys, systemKeyFile: nil).write(to: dir.path + "/keyring.gpg")
            verifier = try SignatureVerifier(keyringPath: dir.path + "/keyring.gpg", homeDirectory: dir.path + "/home",
                                             runner: SystemProcessRunner())
            data = try dir.write("data.txt", "hello\n")
        }
    }

    @Test func goodDetachedAndClearsignedSignaturesGiveTheFingerprint() throws {
        let key = try GPGFixture()
        defer { key.remove() }
        let s = try Setup(keys: [key.publicKeyFile])
        defer { s.dir.remove() }
        try key.detachSign(s.data, output: s.data + ".asc")
        #expect(try s.verifier.verifyDetached(file: s.data, signature: s.data + ".asc", display: "data") == key.fingerprint)

        try s.dir.write("list.txt", "- dash line\nsecond\n")
        try key.clearsign(s.dir.path + "/list.txt", output: s.dir.path + "/list.txt.signed")
        let signed = s.dir.path + "/list.txt.signed"
        let original = try String(contentsOfFile: signed, encoding: .utf8)
        try ("outside before\n" + original + "outside after\n").write(toFile: signed, atomically: true, encoding: .utf8)
        let (fpr, text) = try s.verifier.verifyClearsigned(file: signed, display: "list")
        #expect(fpr == key.fingerprint)
        #expect(text == "- dash line\nsecond\n")
    }

    @Test func badUnknownAndUnsignedAreTold() throws {
        let key = try GPGFixture()
        let stranger = try GPGFixture(name: "stranger")
        defer { key.remove(); stranger.remove() }
        let s = try Setup(keys: [key.publicKeyFile])
        defer { s.dir.remove() }

        try key.detachSign(s.data, output: s.data + ".asc")
        try "changed\n".write(toFile: s.data, atomically: true, encoding: .utf8)
        #expect(artifactError { _ = try s.verifier.verifyDetached(file: s.data, signature: s.data + ".asc", display: "d") }
                == .verificationFailed(file: "d", reason: .badSignature(keyID: String(key.fingerprint.suffix(16)))))

        try stranger.detachSign(s.data, output: s.data + ".asc")
        #expect(artifactError { _ = try s.verifier.verifyDetached(file: s.data, signature: s.data + ".asc", display: "d") }
                == .verificationFailed(file: "d", reason: .unknownKey(keyID: String(stranger.fingerprint.suffix(16)))))

        #expect(artifactError { _ = try s.verifier.verifyClearsigned(file: s.data, display: "d") }
                == .verificationFailed(file: "d", reason: .noSignature))
    }

    @Test func keyringFilesMustExistAndBeKeys() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(artifactError { _ = try Keyring(configured: [dir.path + "/nope.asc"], systemKeyFile: nil) }
                == .keyringMissing(dir.path + "/nope.asc"))
        #expect(artifactError { _ = try Keyring(configured: [], systemKeyFile: dir.path + "/absent.asc") } == .keyringEmpty)
        let text = try dir.write("text.asc", "just text\n")
        #expect(artifactError { try Keyring(configured: [text], systemKeyFile: nil).write(to: dir.path + "/k.gpg") }
                == .notAKeyFile(text))
        // The system key file joins the configured ones when it exists.
        let key = try GPGFixture()
        defer { key.remove() }
        #expect(try Keyring(configured: [], systemKeyFile: key.publicKeyFile).files == [key.publicKeyFile])
    }
}
