import CBuildBasics
import CBuildPublish
import CBuildTestSupport
import Foundation
import Testing

/// The signer against botocore's (`botocore.auth.SigV4Auth` on an
/// `AWSRequest`), on hundreds of generated requests: methods, paths with
/// encoded characters, query parameters with reserved and non-ASCII
/// characters and repeated names, headers with runs of spaces and tabs,
/// empty and binary bodies, with and without a session token. All are
/// signed by one Python process; every Authorization header must agree.
@Suite struct BotocoreSignerTests {
    /// A small deterministic generator (the same requests every run).
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
    }

    static let words = ["a", "Param1", "value", "x y", "a/b", "=&?", "é", "ü~*", "100%", "+plus", "", "semi;colon",
                        "snap-0123456789abcdef0", "tag:cbuild:key", "sha256:1a2b", "Z", "z", "_", "-.~"]

    struct Case: Encodable {
        var method: String
        var origin: String
        var path: String
        var params: [[String]]
        var headers: [[String]]
        var body: String
        var token: String?
        var service: String
        var region: String
        var time: Double
    }

    static func generate(_ count: Int) -> [Case] {
        var g = Generator(state: 20261201)
        return (0..<count).map { i in
            let segments = (0..<Int(g.next() % 4)).map { _ in SigV4Signer.percentEncode(g.pick(words)) }.filter { !$0.isEmpty }
            var params: [[String]] = []
            for _ in 0..<Int(g.next() % 5) { params.append([g.pick(words.filter { !$0.isEmpty }), g.pick(words)]) }
            var headers: [[String]] = []
            for n in 0..<Int(g.next() % 4) {
                let value = g.pick(["plain", "  leading", "trailing  ", "in   between\tand\ttabs", "a,b", "x"])
                headers.append(["X-Custom-\(n)-\(g.pick(["Alpha", "beta", "GAMMA"]))", value])
            }
            if g.chance(40) { headers.append(["Content-Type", g.pick(["application/json", "application/x-www-form-urlencoded; charset=utf-8"])]) }
            let bodyBytes = g.chance(50) ? [] : (0..<Int(g.next() % 300)).map { _ in UInt8(g.next() & 0xFF) }
            return Case(method: g.pick(["GET", "PUT", "POST", "DELETE", "HEAD"]),
                        origin: g.pick(["https://ec2.eu-west-1.amazonaws.com", "http://127.0.0.1:5000", "https://ebs.us-east-1.amazonaws.com"]),
                        path: "/" + segments.joined(separator: "/") + (g.chance(20) && !segments.isEmpty ? "/" : ""),
                        params: params, headers: headers, body: Data(bodyBytes).base64EncodedString(),
                        token: g.chance(30) ? "FwoGZXIvYXdzEXAMPLE//token+\(i)=" : nil,
                        service: g.pick(["ec2", "ebs", "service"]), region: g.pick(["eu-west-1", "us-east-1", "ap-southeast-2"]),
                        time: 1_764_633_600 + Double(g.next() % 86_400_000))
        }
    }

    static let script = """
        import base64, datetime, json, sys
        import botocore.auth
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        out = []
        for c in json.load(open(sys.argv[1])):
            t = datetime.datetime.fromtimestamp(c["time"], datetime.timezone.utc)
            botocore.auth.get_current_datetime = lambda t=t: t
            req = AWSRequest(method=c["method"], url=c["origin"] + c["path"], params=[tuple(p) for p in c["params"]],
                             headers=dict((k, v) for k, v in c["headers"]), data=base64.b64decode(c["body"]))
            creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c.get("token"))
            SigV4Auth(creds, c["service"], c["region"]).add_auth(req)
            out.append(req.headers["Authorization"])
        json.dump(out, sys.stdout)
        """

    @Test func agreesWithBotocoreOnGeneratedRequests() throws {
        let venv = try MotoServer.venv()
        let cases = Self.generate(400)
        let dir = try TemporaryDirectory(prefix: "cbuild-sigv4"); defer { dir.remove() }
        try Data(JSONEncoder().encode(cases)).write(to: URL(fileURLWithPath: dir.path + "/cases.json"))
        try dir.write("sign.py", Self.script)
        let r = try SystemProcessRunner().run([venv + "/bin/python", dir.path + "/sign.py", dir.path + "/cases.json"],
                                              environment: nil, currentDirectory: nil, input: nil)
        try #require(r.succeeded, "\(r.stderrString)")
        let expected = try JSONDecoder().decode([String].self, from: Data(r.stdoutString.utf8))
        try #require(expected.count == cases.count)
        var mismatches = 0
        for (c, want) in zip(cases, expected) {
            var request = HTTPRequest(method: c.method, origin: c.origin, path: c.path, query: c.params.map { ($0[0], $0[1]) },
                                      headers: c.headers.map { ($0[0], $0[1]) }, body: [UInt8](Data(base64Encoded: c.body)!))
            let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE",
                                                                 secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                                 sessionToken: c.token),
                                     region: c.region, service: c.service)
            signer.sign(&request, date: Date(timeIntervalSince1970: c.time))
            if request.header("Authorization") != want {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("differs from botocore for \(c.method) \(c.origin)\(c.path) \(c.params) \(c.headers):\n ours \(request.header("Authorization") ?? "-")\n boto \(want)\n canonical:\n\(signer.canonicalParts(request).canonical)")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
