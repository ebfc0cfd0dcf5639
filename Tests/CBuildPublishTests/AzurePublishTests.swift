import CBuildBasics
import CBuildPublish
import CBuildTestSupport
import Foundation
import Testing

/// `azure/azure/web` end to end against `AzurePageBlobServer`, a strict
/// loopback stand-in for Azure's page blobs (no Azure emulator can be
/// installed here): the example directory's VHD uploaded through a SAS URL,
/// read back byte for byte, zero ranges skipped, found again by its key.
@Suite(.serialized) struct AzurePublishTests {
    static let signature = "c2VjcmV0LXNpZ25hdHVyZQ"

    func publish(_ ex: ExampleBuildDirectory) throws -> CLIResult {
        try ex.cbuild(["publish", "--catalyst", BuiltProducts.path("catalyst-sim"), "azure/azure/web"],
                      environment: ["CATALYST_SIM_KERNEL_IMAGE": try HostKernel.path()])
    }

    /// How many 4 MiB ranges of the file hold a non-zero byte (read plainly
    /// by Python, no holes skipped: a debug-built Swift loop over 8 GiB is too slow).
    static func dataRanges(_ path: String) throws -> (data: Int, total: Int) {
        let script = """
            import sys
            zero = bytes(4 << 20); data = total = 0
            with open(sys.argv[1], "rb") as f:
                while True:
                    c = f.read(4 << 20)
                    if not c: break
                    total += 1
                    if c != zero[:len(c)]: data += 1
            print(data, total)
            """
        let r = try SystemProcessRunner().run(["/usr/bin/python3", "-c", script, path])
        let n = r.stdoutString.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(r.succeeded && n.count == 2, "\(r.stderrString)")
        return (n[0], n[1])
    }

    @Test func uploadsTheVHDAsAPageBlobThatASecondRunFindsAgain() throws {
        let server = try AzurePageBlobServer()
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        _ = try ex.dir.write("secrets/azure-sas-url", server.sasURL + "\n")
        try ex.edit("targets/azure/web.toml") {
            $0.replacingOccurrences(of: "sas_url_file = \"secrets/azure-sas-url\"",
                                    with: "sas_url_file = \"secrets/azure-sas-url\"\nimage_command = [\"sh\", \"-c\", \"echo \\\"$CBUILD_BLOB_URL $CBUILD_BLOB_NAME $CBUILD_KEY\\\" > image-command.out\"]")
        }
        let first = try publish(ex)
        #expect(first.status == 0, "\(first)")
        let s = try ex.cbuild(["status", "--json", "azure/azure/web"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [[String: Any]])
        let output = try #require(rows.first { $0["node"] as? String == "azure/azure/web" }?["output"] as? String)
        let receipt = try #require(PublishReceipt.read(root: ex.path, path: output))
        let blobURL = try #require(receipt.blobURL)
        #expect(blobURL == "\(server.server.url)/devstoreaccount1/images/\(receipt.name)")
        #expect(!blobURL.contains("?") && !blobURL.contains("sig"))
        // image_command ran once, after the upload, with the blob (no SAS) in its environment.
        #expect(try ex.dir.read("image-command.out") == "\(blobURL) \(receipt.name) \(receipt.key)\n")
        try FileManager.default.removeItem(atPath: ex.path + "/image-command.out")
        #expect(receipt.name.hasPrefix("azure/web-") && receipt.name.hasSuffix(".vhd"))

        let vhd = try FileManager.default.destinationOfSymbolicLink(atPath: ex.path + "/artifacts/out/image/azure/web.vhd")
        let vhdPath = vhd.hasPrefix("/") ? vhd : ex.path + "/artifacts/out/image/azure/" + vhd
        // 8 GiB each: compared by cmp(1), not in memory.
        let cmp = try SystemProcessRunner().run(["cmp", server.blobPath(receipt.name), vhdPath])
        #expect(cmp.succeeded, "the blob read back differs from the VHD: \(cmp.stdoutString)\(cmp.stderrString)")
        let ranges = try Self.dataRanges(vhdPath)
        #expect(server.count("PutPage", status: 201) == ranges.data, "exactly the ranges holding data were written")
        #expect(ranges.data < ranges.total / 4, "most of the sparse disk is skipped")
        #expect(server.count("PutBlob", status: 201) == 1)
        #expect(server.count("SetBlobMetadata", status: 200) == 1)
        #expect(server.requests().filter { ($0["status"] as? Int ?? 0) >= 400 && $0["op"] as? String != "GetBlobProperties" }.isEmpty,
                "the server refused a request")

        // Clean by the state: no request; record and receipt lost: one lookup, nothing uploaded.
        let before = server.requests().count
        #expect(try publish(ex).status == 0)
        #expect(server.requests().count == before)
        #expect(try ex.cbuild(["clean", "azure/azure/web"]).status == 0)
        let again = try publish(ex)
        #expect(again.status == 0, "\(again)")
        let after = Array(server.requests().dropFirst(before))
        #expect(after.map { $0["op"] as? String ?? "" } == ["GetBlobProperties"])
        #expect(!ex.dir.exists("image-command.out"), "nothing new was uploaded, so no image is made")
        let status = try ex.cbuild(["status", "azure/azure/web"])
        #expect(status.stdout.contains(blobURL), "\(status)")
        let history = try ex.cbuild(["history", "--json"])
        #expect(history.stdout.contains(blobURL))

        // The SAS signature is never printed or stored.
        for r in [first, again, status, history] { #expect(!r.stdout.contains(Self.signature) && !r.stderr.contains(Self.signature)) }
        let e = FileManager.default.enumerator(atPath: ex.path)
        while let rel = e?.nextObject() as? String {
            if rel.hasPrefix("artifacts/builds") || rel.hasPrefix("artifacts/images") || rel.hasPrefix("secrets/") || rel.hasSuffix(".sqfs") { continue }
            if let data = FileManager.default.contents(atPath: ex.path + "/" + rel) {
                #expect(data.range(of: Data(Self.signature.utf8)) == nil, "\(rel) holds the SAS signature")
            }
        }
    }

    @Test func aMissingSASFileFailsTheNodeNamingTheFile() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try publish(ex)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("cannot read the SAS URL file secrets/azure-sas-url"), "\(r)")
    }

    /// The stand-in refuses what Azure refuses, so the upload test above means something.
    @Test func thePageBlobServerRefusesRequestsAzureWouldRefuse() async throws {
        let server = try AzurePageBlobServer()
        let sas = try AzureSAS.parse(server.sasURL, file: "sas")
        let client = AzureBlobClient(sas: sas, http: URLSessionHTTPClient())
        try await client.createPageBlob("t.vhd", length: 8192)
        try await client.putPage("t.vhd", offset: 512, data: [UInt8](repeating: 7, count: 1024))
        #expect(server.blob("t.vhd")?[512..<1536].allSatisfy { $0 == 7 } == true)

        func refused(_ code: String, _ request: HTTPRequest) async throws {
            let response = try await URLSessionHTTPClient().send(request)
            #expect(response.status >= 400, "\(code)")
            #expect(response.headers["x-ms-error-code"] == code, "\(response.status) \(response.headers)")
        }
        let blob = HTTPRequest(method: "PUT", origin: server.server.url, path: "/devstoreaccount1/images/t.vhd", query: [("comp", "page")])
        func page(_ headers: [(String, String)], body: [UInt8]) -> HTTPRequest {
            var r = blob
            r.rawQuery = "sv=2021-08-06&" + AzurePageBlobServer.signature
            r.headers = [("x-ms-version", "2021-08-06"), ("x-ms-date", "Tue, 01 Dec 2026 00:00:00 GMT")] + headers
            r.body = body
            return r
        }
        let data = [UInt8](repeating: 1, count: 512)
        let md5 = Data(ContentHasher.digest(.md5, data).bytes).base64EncodedString()
        try await refused("Md5Mismatch", page([("x-ms-page-write", "update"), ("x-ms-range", "bytes=0-511"),
                                               ("Content-MD5", Data(repeating: 0, count: 16).base64EncodedString())], body: data))
        try await refused("InvalidPageRange", page([("x-ms-page-write", "update"), ("x-ms-range", "bytes=100-611"), ("Content-MD5", md5)], body: data))
        try await refused("InvalidHeaderValue", page([("x-ms-page-write", "clear"), ("x-ms-range", "bytes=0-511"), ("Content-MD5", md5)], body: data))
        try await refused("InvalidPageRange", page([("x-ms-page-write", "update"), ("x-ms-range", "bytes=8192-8703"), ("Content-MD5", md5)], body: data))
        var noVersion = page([("x-ms-page-write", "update"), ("x-ms-range", "bytes=0-511"), ("Content-MD5", md5)], body: data)
        noVersion.headers.removeAll { $0.0 == "x-ms-version" }
        try await refused("InvalidHeaderValue", noVersion)
        var noSignature = page([("x-ms-page-write", "update"), ("x-ms-range", "bytes=0-511"), ("Content-MD5", md5)], body: data)
        noSignature.rawQuery = "sv=2021-08-06"
        try await refused("AuthenticationFailed", noSignature)
        let big = [UInt8](repeating: 1, count: 4 * 1024 * 1024 + 512)
        try await client.createPageBlob("big.vhd", length: Int64(big.count))
        await #expect(throws: PublishError.self) { try await client.putPage("big.vhd", offset: 0, data: big) }
    }
}
