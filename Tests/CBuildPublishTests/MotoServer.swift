import CBuildBasics
import Foundation
import CBuildTestSupport
import Testing

/// moto's server (an emulator of the AWS APIs; EC2 and the EBS direct APIs
/// here) from `scripts/moto-venv`, with request recording on: every request
/// it receives is a JSON line in `recording` (method, URL, headers, body),
/// which the tests count and inspect. `python(script)` runs boto3 in the
/// same venv against it.
public final class MotoServer: @unchecked Sendable {
    public let server: PythonServer
    public let venv: String
    public static let region = "eu-west-1"
    /// moto accepts any key unless IAM checks are on (`authenticate: true`).
    public static let accessKey = "AKIAMOTOTESTKEY00001"
    public static let secretKey = "moto-secret-KEEP-OUT-OF-STATE-0123456789"

    /// On a free port, or on `port` (a fresh server where a stopped one was:
    /// it knows nothing of what the stopped one held, as moto keeps all in memory).
    public init(authenticate: Bool = false, port: Int? = nil) throws {
        venv = try MotoServer.venv()
        var env = ["MOTO_ENABLE_RECORDING": "true"]
        if authenticate { env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0" }
        let venv = self.venv
        server = try PythonServer(prefix: "cbuild-moto", port: port, environment: env) { port, dir in
            [venv + "/bin/python", "-c", """
                import os, sys
                os.environ["MOTO_RECORDER_FILEPATH"] = sys.argv[1]
                from moto.server import main
                main(["-H", "127.0.0.1", "-p", sys.argv[2]])
                """, dir + "/recording.jsonl", String(port)]
        }
    }

    public var endpoint: String { server.url }
    public var recordingPath: String { server.directory.path + "/recording.jsonl" }

    /// The environment a publishing cbuild gets: the test key, nothing from the host.
    public var credentials: [String: String] {
        ["AWS_ACCESS_KEY_ID": Self.accessKey, "AWS_SECRET_ACCESS_KEY": Self.secretKey, "AWS_PROFILE": "",
         "AWS_SESSION_TOKEN": ""]
    }

    /// One recorded request.
    public struct Request: Sendable, CustomStringConvertible {
        public var description: String { "\(method) \(url) (\(body.count) bytes)" }
        public var method: String
        public var url: String
        /// Names lower-cased (the server normalizes their case).
        public var headers: [String: String]
        public var body: [UInt8]
        /// The form parameters of an EC2 Query request (none for other
        /// requests: a block's bytes are no form, though they may hold `&=&`).
        public var form: [String: String] {
            guard headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") == true else { return [:] }
            var out: [String: String] = [:]
            for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    .map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                out[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            return out
        }
        public var action: String? { form["Action"] }
        public var isPutBlock: Bool { method == "PUT" && url.contains("/blocks/") }
    }

    /// Every request since the start (or since `resetRecording`).
    public func recorded() -> [Request] {
        let text = (try? String(contentsOfFile: recordingPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            var body: [UInt8] = []
            if let b = obj["body"] as? String {
                body = (obj["body_encoded"] as? Bool) == true ? [UInt8](Data(base64Encoded: b) ?? Data()) : Array(b.utf8)
            }
            return Request(method: obj["method"] as? String ?? "", url: obj["url"] as? String ?? "",
                           headers: Dictionary((obj["headers"] as? [String: String] ?? [:]).map { ($0.key.lowercased(), $0.value) }) { a, _ in a },
                           body: body)
        }
    }

    /// Starts counting afresh: empties the recording and skips the access log so far.
    public func resetRecording() {
        FileManager.default.createFile(atPath: recordingPath, contents: Data())
        accessLogOffset = (try? FileManager.default.attributesOfItem(atPath: accessLogPath)[.size] as? Int) ?? 0
    }

    private var accessLogOffset = 0
    var accessLogPath: String { server.directory.path + "/server.log" }

    /// The server's access log since the last `resetRecording`: `"PUT /snapshots/…/blocks/3 HTTP/1.1" 201`.
    /// Unlike the recording (whose big lines can interleave under concurrent
    /// requests), every request has its own short line here.
    public func accessLog() -> [String] {
        let data = FileManager.default.contents(atPath: accessLogPath) ?? Data()
        // werkzeug colours the request part on a terminal and in files alike.
        let text = String(decoding: data.dropFirst(accessLogOffset), as: UTF8.self)
            .replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        return text.split(separator: "\n").map(String.init).filter { $0.contains("\" ") && $0.contains(" HTTP/1.1\"") }
    }

    /// PutSnapshotBlock requests answered with success since the last reset.
    public func putBlockCount() -> Int {
        accessLog().filter { $0.contains("\"PUT /snapshots/") && $0.contains("/blocks/") && $0.contains("\" 20") }.count
    }

    /// Runs a Python script in the venv with boto3 pointed at this server
    /// (`ENDPOINT`, `REGION` and `ec2`, `ebs` clients predefined); returns stdout.
    public func python(_ script: String) throws -> String {
        let prelude = """
            import boto3, json, sys, base64, hashlib
            ENDPOINT = "\(endpoint)"
            REGION = "\(Self.region)"
            session = boto3.session.Session(aws_access_key_id="\(Self.accessKey)", aws_secret_access_key="\(Self.secretKey)", region_name=REGION)
            ec2 = session.client("ec2", endpoint_url=ENDPOINT)
            ebs = session.client("ebs", endpoint_url=ENDPOINT)

            """
        let file = server.directory.path + "/script-\(UUID().uuidString).py"
        try (prelude + script).write(toFile: file, atomically: true, encoding: .utf8)
        let r = try SystemProcessRunner().run([venv + "/bin/python", file], environment: nil, currentDirectory: nil, input: nil)
        guard r.succeeded else {
            throw NSError(domain: "MotoServer", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "python failed: \(r.stderrString)"])
        }
        return r.stdoutString
    }

    /// The venv from `scripts/moto-venv`; cancels the test (a skip) when
    /// PyPI cannot be reached, and only then.
    public static func venv() throws -> String {
        let r = try SystemProcessRunner().run([BuiltProducts.packageRoot + "/scripts/moto-venv"], environment: nil,
                                              currentDirectory: BuiltProducts.packageRoot, input: nil)
        if r.status == 3 {
            try Test.cancel("skipped: PyPI is unreachable, so moto[server] cannot be installed (\(r.stderrString.suffix(200)))")
        }
        guard r.succeeded else {
            Issue.record("scripts/moto-venv failed (exit \(r.status)):\n\(r.stderrString)")
            throw BasicsError.processLaunch(executable: "scripts/moto-venv", reason: r.stderrString)
        }
        return r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
