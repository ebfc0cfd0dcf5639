import CBuildPublish
import Foundation
import Testing

/// The signer against vectors from AWS's Signature Version 4 test suite
/// (service "service", region us-east-1, 20150830T123600Z, the suite's
/// example key). Each expected signature is the suite's published value.
@Suite struct SigV4SignerTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE",
                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)   // 2015-08-30T12:36:00Z
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")

    static func signed(_ method: String, path: String = "/", query: [(String, String)] = [],
                       headers: [(String, String)] = [], token: String? = nil) -> HTTPRequest {
        var r = HTTPRequest(method: method, origin: "https://example.amazonaws.com", path: path, query: query,
                            headers: [("Host", "example.amazonaws.com")] + headers)
        var s = signer
        if let token {
            s = SigV4Signer(credentials: AWSCredentials(accessKeyID: credentials.accessKeyID,
                                                        secretAccessKey: credentials.secretAccessKey, sessionToken: token),
                            region: "us-east-1", service: "service")
        }
        s.sign(&r, date: date)
        return r
    }

    static func signature(_ r: HTTPRequest) -> String {
        String(r.header("Authorization")?.split(separator: "=").last ?? "")
    }

    @Test func getVanilla() {
        let r = Self.signed("GET")
        #expect(r.header("X-Amz-Date") == "20150830T123600Z")
        #expect(r.header("Authorization") ==
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(Self.signer.canonicalParts(r).canonical == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
    }

    @Test func getVanillaQuery() {
        #expect(Self.signature(Self.signed("GET", query: [("Param1", "value1")])) ==
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb")
    }

    @Test func queryOrderKeyCase() {
        #expect(Self.signature(Self.signed("GET", query: [("Param2", "value2"), ("Param1", "value1")])) ==
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func queryOrderValue() {
        #expect(Self.signature(Self.signed("GET", query: [("Param1", "value2"), ("Param1", "Value1")])) ==
            "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1")
    }

    @Test func headerValueOrder() {
        let r = Self.signed("GET", headers: [("My-Header1", "value4"), ("My-Header1", "value1"),
                                             ("My-Header1", "value3"), ("My-Header1", "value2")])
        #expect(Self.signature(r) == "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01")
    }

    @Test func postVanilla() {
        #expect(Self.signature(Self.signed("POST")) == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        #expect(Self.signature(Self.signed("POST", query: [("Param1", "value1")])) ==
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")
    }

    @Test func pathNormalization() {
        #expect(Self.signature(Self.signed("GET", path: "/./example")) ==
            "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5")
        #expect(Self.signature(Self.signed("GET", path: "/example1/example2/../..")) ==
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func sessionTokenIsSigned() {
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        let r = Self.signed("POST", token: token)
        #expect(r.header("X-Amz-Security-Token") == token)
        #expect(r.header("Authorization") ==
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")
    }

    @Test func credentialsNeverDescribeTheirSecret() {
        let c = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               sessionToken: "TOKEN123", source: "the environment")
        for text in ["\(c)", String(describing: c), String(reflecting: c)] {
            #expect(!text.contains("wJalrXUtnFEMI"))
            #expect(!text.contains("TOKEN123"))
        }
    }
}
