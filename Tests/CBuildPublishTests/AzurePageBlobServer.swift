import CBuildTestSupport
import Foundation

/// A loopback stand-in for Azure Blob storage's page blobs (no Azure
/// emulator can be installed here: Azurite comes only from npm). It
/// accepts exactly the requests Azure documents for Put Blob (page blob),
/// Put Page (update), Set Blob Metadata and Get Blob Properties, and
/// answers anything else with 400 and an error code, checking: the SAS
/// query (`sv`, `sig`), `x-ms-version` and `x-ms-date`; `x-ms-blob-type:
/// PageBlob` and a 512-aligned `x-ms-blob-content-length`; for Put Page
/// `comp=page`, `x-ms-page-write: update`, `x-ms-range: bytes=a-b` with a
/// 512-aligned start and end + 1, at most 4 MiB, inside the blob, equal
/// to Content-Length, and `Content-MD5` equal to the body's MD5. Pages are
/// stored in a sparse file per blob; `requests.jsonl` logs each request.
final class AzurePageBlobServer: @unchecked Sendable {
    let server: PythonServer
    static let container = "images"
    static let signature = "sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"

    init() throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-azure-script")
        let script = dir.path + "/pageblob.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        server = try PythonServer(prefix: "cbuild-azure") { port, d in ["/usr/bin/python3", script, String(port), d] }
    }

    /// The container SAS URL a `sas_url_file` holds.
    var sasURL: String { "\(server.url)/devstoreaccount1/\(Self.container)?sv=2021-08-06&ss=b&srt=co&sp=rwc&se=2099-01-01T00%3A00%3A00Z&\(Self.signature)" }

    /// The file holding `blob`'s pages (sparse, like the VHD).
    func blobPath(_ name: String) -> String {
        server.directory.path + "/blobs/" + name.replacingOccurrences(of: "/", with: "%2F")
    }

    /// The bytes stored for a small `blob`, or nil.
    func blob(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: blobPath(name)).map { [UInt8]($0) }
    }

    /// Each request: method, op (a name for the kind of request), status.
    func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: server.directory.path + "/requests.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func count(_ op: String, status: Int? = nil) -> Int {
        requests().filter { $0["op"] as? String == op && (status == nil || $0["status"] as? Int == status) }.count
    }

    static let script = #"""
        import base64, hashlib, json, os, re, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit, parse_qs, unquote

        PORT, DIR = int(sys.argv[1]), sys.argv[2]
        BLOBS = os.path.join(DIR, "blobs")
        os.makedirs(BLOBS, exist_ok=True)
        LOCK = threading.Lock()
        META = {}       # blob -> {name: value}
        LENGTH = {}     # blob -> length
        VERSIONS = {"2019-12-12", "2020-04-08", "2020-10-02", "2021-04-10", "2021-06-08", "2021-08-06", "2021-12-02", "2022-11-02", "2023-11-03"}
        MAX_PAGE = 4 * 1024 * 1024

        class Refused(Exception):
            def __init__(self, status, code, message):
                self.status, self.code, self.message = status, code, message

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass

            def log(self, op, status):
                with LOCK, open(os.path.join(DIR, "requests.jsonl"), "a") as f:
                    f.write(json.dumps({"method": self.command, "op": op, "status": status, "path": urlsplit(self.path).path}) + "\n")

            def reply(self, status, headers=None, body=b""):
                headers = dict(headers or {})
                headers.setdefault("Content-Length", str(len(body)))
                self.send_response(status)
                for k, v in headers.items(): self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD": self.wfile.write(body)

            def fail(self, op, e):
                body = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{e.code}</Code><Message>{e.message}</Message></Error>'.encode()
                self.log(op, e.status)
                self.send_response(e.status)
                self.send_header("x-ms-error-code", e.code)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD": self.wfile.write(body)

            def common(self):
                u = urlsplit(self.path)
                q = parse_qs(u.query, keep_blank_values=True)
                if "sig" not in q or "sv" not in q: raise Refused(403, "AuthenticationFailed", "no SAS signature")
                if q["sig"][0] != "c2VjcmV0LXNpZ25hdHVyZQ==": raise Refused(403, "AuthenticationFailed", "wrong SAS signature")
                if self.headers.get("x-ms-version") not in VERSIONS: raise Refused(400, "InvalidHeaderValue", "x-ms-version missing or unknown")
                if not self.headers.get("x-ms-date"): raise Refused(403, "AuthenticationFailed", "x-ms-date missing")
                parts = unquote(u.path).split("/")
                if len(parts) < 4 or parts[1] != "devstoreaccount1" or parts[2] != "images": raise Refused(404, "ContainerNotFound", "no such container")
                blob = "/".join(parts[3:])
                if not blob: raise Refused(400, "InvalidUri", "no blob name")
                return blob, q.get("comp", [None])[0]

            def body(self):
                n = self.headers.get("Content-Length")
                if n is None: raise Refused(411, "MissingContentLengthHeader", "Content-Length is required")
                return self.rfile.read(int(n))

            def path_of(self, blob): return os.path.join(BLOBS, blob.replace("/", "%2F"))

            def do_HEAD(self):
                op = "GetBlobProperties"
                try:
                    blob, comp = self.common()
                    if comp is not None: raise Refused(400, "InvalidQueryParameterValue", "unexpected comp")
                    with LOCK:
                        if blob not in LENGTH: raise Refused(404, "BlobNotFound", "no such blob")
                        h = {"x-ms-blob-type": "PageBlob", "Content-Length": str(LENGTH[blob])}
                        for k, v in META.get(blob, {}).items(): h["x-ms-meta-" + k] = v
                    self.log(op, 200); self.reply(200, h)
                except Refused as e: self.fail(op, e)

            def do_GET(self):
                op = "GetBlob"
                try:
                    blob, comp = self.common()
                    with LOCK:
                        if blob not in LENGTH: raise Refused(404, "BlobNotFound", "no such blob")
                    with open(self.path_of(blob), "rb") as f: data = f.read()
                    self.log(op, 200); self.reply(200, {"x-ms-blob-type": "PageBlob"}, data)
                except Refused as e: self.fail(op, e)

            def do_PUT(self):
                op = "PUT"
                try:
                    blob, comp = self.common()
                    data = self.body()
                    if comp is None:
                        op = "PutBlob"
                        if self.headers.get("x-ms-blob-type") != "PageBlob": raise Refused(400, "InvalidHeaderValue", "x-ms-blob-type must be PageBlob")
                        if len(data) != 0: raise Refused(400, "InvalidHeaderValue", "a page blob is created with an empty body")
                        try: length = int(self.headers.get("x-ms-blob-content-length", ""))
                        except ValueError: raise Refused(400, "MissingRequiredHeader", "x-ms-blob-content-length is required")
                        if length <= 0 or length % 512: raise Refused(400, "InvalidHeaderValue", "x-ms-blob-content-length must be a positive multiple of 512")
                        with LOCK:
                            with open(self.path_of(blob), "wb") as f: f.truncate(length)
                            LENGTH[blob] = length; META[blob] = {}
                        self.log(op, 201); self.reply(201)
                    elif comp == "page":
                        op = "PutPage"
                        if self.headers.get("x-ms-page-write") != "update": raise Refused(400, "InvalidHeaderValue", "x-ms-page-write must be update")
                        m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("x-ms-range") or self.headers.get("Range") or "")
                        if not m: raise Refused(400, "InvalidHeaderValue", "x-ms-range must be bytes=start-end")
                        a, b = int(m.group(1)), int(m.group(2))
                        if a % 512 or (b + 1) % 512 or b < a: raise Refused(416, "InvalidPageRange", "the range must be 512-byte aligned")
                        if b - a + 1 > MAX_PAGE: raise Refused(413, "RequestBodyTooLarge", "a page write is at most 4 MiB")
                        if len(data) != b - a + 1: raise Refused(400, "InvalidHeaderValue", "Content-Length differs from the range")
                        md5 = self.headers.get("Content-MD5")
                        if md5 is None: raise Refused(400, "MissingRequiredHeader", "Content-MD5 (required by this test server)")
                        if base64.b64decode(md5) != hashlib.md5(data).digest(): raise Refused(400, "Md5Mismatch", "Content-MD5 does not match the body")
                        with LOCK:
                            if blob not in LENGTH: raise Refused(404, "BlobNotFound", "no such blob")
                            if b >= LENGTH[blob]: raise Refused(416, "InvalidPageRange", "the range ends past the blob")
                            with open(self.path_of(blob), "r+b") as f: f.seek(a); f.write(data)
                        self.log(op, 201); self.reply(201)
                    elif comp == "metadata":
                        op = "SetBlobMetadata"
                        meta = {k[len("x-ms-meta-"):].lower(): v for k, v in self.headers.items() if k.lower().startswith("x-ms-meta-")}
                        for k in meta:
                            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k): raise Refused(400, "InvalidMetadata", "metadata names are C# identifiers")
                        with LOCK:
                            if blob not in LENGTH: raise Refused(404, "BlobNotFound", "no such blob")
                            META[blob] = meta
                        self.log(op, 200); self.reply(200)
                    else:
                        raise Refused(400, "InvalidQueryParameterValue", "unknown comp")
                except Refused as e: self.fail(op, e)

            def do_POST(self): self.fail("POST", Refused(405, "UnsupportedHttpVerb", "POST"))
            def do_DELETE(self): self.fail("DELETE", Refused(405, "UnsupportedHttpVerb", "DELETE"))

        ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
        """#
}
