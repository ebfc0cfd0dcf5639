import CBuildBasics
import CBuildPublish
import CBuildTestSupport
import Foundation
import Testing

/// The pieces under the publish rules, without any server.
@Suite struct PublishUnitTests {
    @Test func theBlockReaderSkipsHolesAndZeroBlocksAndPadsTheLastOne() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-blocks"); defer { dir.remove() }
        let path = dir.path + "/disk.raw"
        let bs = 4096
        // Blocks: 0 data, 1 hole, 2 written zeros, 3 hole, 4 data, then half a block of data.
        FileManager.default.createFile(atPath: path, contents: nil)
        let h = try #require(FileHandle(forWritingAtPath: path))
        try h.seek(toOffset: 0); h.write(Data(repeating: 1, count: bs))
        try h.seek(toOffset: UInt64(2 * bs)); h.write(Data(repeating: 0, count: bs))
        try h.seek(toOffset: UInt64(4 * bs + 7)); h.write(Data([9]))
        try h.seek(toOffset: UInt64(5 * bs)); h.write(Data(repeating: 2, count: bs / 2))
        try h.close()
        let reader = try BlockReader(path: path, blockSize: bs)
        #expect(reader.blockCount == 6)
        var seen: [Int] = []
        while let (index, bytes) = try reader.nextDataBlock() {
            seen.append(index)
            #expect(bytes.count == bs)
            if index == 5 { #expect(bytes[0] == 2 && bytes[bs / 2] == 0, "the last block is padded with zeros") }
            if index == 4 { #expect(bytes[7] == 9) }
        }
        #expect(seen == [0, 4, 5])
        #expect(reader.position == reader.size)
    }

    @Test func anAllZeroFileHasNoDataBlocks() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-blocks"); defer { dir.remove() }
        let path = dir.path + "/empty.raw"
        FileManager.default.createFile(atPath: path, contents: nil)
        truncate(path, 64 << 20)
        let reader = try BlockReader(path: path, blockSize: 512 * 1024)
        #expect(try reader.nextDataBlock() == nil)
        #expect(throws: PublishError.self) { _ = try BlockReader(path: dir.path + "/missing.raw", blockSize: 512) }
    }

    @Test func credentialsComeFromTheEnvironmentFirstThenTheProfile() throws {
        let home = try TemporaryDirectory(prefix: "cbuild-aws"); defer { home.remove() }
        _ = try home.write(".aws/credentials", """
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default-secret
            # a comment
            [ci]
            aws_access_key_id=AKIACI
            aws_secret_access_key = ci-secret
            aws_session_token = ci-token

            """)
        let env = try AWSCredentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
                                                           "AWS_PROFILE": "ci", "HOME": home.path])
        #expect(env.accessKeyID == "AKIAENV" && env.sessionToken == nil)
        let ci = try AWSCredentials.resolve(environment: ["AWS_PROFILE": "ci", "HOME": home.path])
        #expect(ci == AWSCredentials(accessKeyID: "AKIACI", secretAccessKey: "ci-secret", sessionToken: "ci-token",
                                     source: "profile 'ci' in \(home.path)/.aws/credentials"))
        #expect(try AWSCredentials.resolve(environment: ["HOME": home.path]).accessKeyID == "AKIADEFAULT")
        #expect(throws: PublishError.credentials("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")) {
            try AWSCredentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "HOME": home.path])
        }
        #expect(throws: PublishError.self) { try AWSCredentials.resolve(environment: ["AWS_PROFILE": "nope", "HOME": home.path]) }
    }

    @Test func aSASURLIsSplitAndItsQueryNeverShown() throws {
        let sas = try AzureSAS.parse("https://acct.blob.core.windows.net/vhds/?sv=2021-08-06&sp=rwc&sig=abc%2Bdef%3D", file: "f")
        #expect(sas.container == "https://acct.blob.core.windows.net/vhds")
        #expect(sas.blobURL("aws/web 1.vhd") == "https://acct.blob.core.windows.net/vhds/aws/web%201.vhd")
        #expect(!"\(sas)".contains("sig"))
        for bad in ["https://acct.blob.core.windows.net/vhds", "https://acct.blob.core.windows.net/vhds?sv=1", "ftp://x/y?sig=1", "?sig=1"] {
            #expect(throws: PublishError.self, "\(bad)") { _ = try AzureSAS.parse(bad, file: "f") }
        }
    }

    @Test func aReceiptSummarizesWhatWasPublished() {
        let ami = PublishReceipt(provider: "aws", key: "sha256:1", name: "n", region: "eu-west-1", imageID: "ami-1", snapshotID: "snap-1")
        #expect(ami.summary == "ami-1 (snap-1, eu-west-1)")
        #expect(String(decoding: ami.encoded(), as: UTF8.self).contains("\"image_id\" : \"ami-1\""))
        let blob = PublishReceipt(provider: "azure", key: "sha256:1", name: "b.vhd", blobURL: "https://a/c/b.vhd")
        #expect(blob.summary == "https://a/c/b.vhd")
        #expect(PublishReceipt.path(node: "ami/aws/web", keyShort: "0123456789ab") == "artifacts/publish/ami/aws/web-0123456789ab.json")
    }

    @Test func ec2ErrorsNameTheCodeAndCredentialFailuresAreSaidSo() async throws {
        struct Canned: HTTPClient {
            let status: Int, body: String
            func send(_ request: HTTPRequest) async throws(PublishError) -> HTTPResponse {
                HTTPResponse(status: status, headers: [:], body: Array(body.utf8))
            }
        }
        let creds = AWSCredentials(accessKeyID: "AKIA", secretAccessKey: "s")
        let xml = { (code: String) in "<Response><Errors><Error><Code>\(code)</Code><Message>no such thing</Message></Error></Errors></Response>" }
        let refused = EC2Client(region: "eu-west-1", endpoint: nil, credentials: creds, http: Canned(status: 401, body: xml("AuthFailure")))
        await #expect(throws: PublishError.authentication(service: "EC2", code: "AuthFailure", message: "no such thing")) {
            _ = try await refused.describeImages(tag: "k", value: "v")
        }
        let missing = EC2Client(region: "eu-west-1", endpoint: nil, credentials: creds, http: Canned(status: 400, body: xml("InvalidSnapshot.NotFound")))
        await #expect(throws: PublishError.service(service: "EC2", operation: "DeleteSnapshot", status: 400,
                                                   code: "InvalidSnapshot.NotFound", message: "no such thing")) {
            try await missing.deleteSnapshot("snap-1")
        }
        #expect(refused.endpoint == "https://ec2.eu-west-1.amazonaws.com")
    }
}
