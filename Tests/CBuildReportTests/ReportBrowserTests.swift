import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

extension Tag {
    /// End-to-end tests that run a real browser (Debian's chromium) and Graphviz.
    @Tag static var browser: Self
}

/// Debian's chromium in headless mode, loading the report from disk.
enum Chromium {
    static var executable: String? { Executables.find("chromium") ?? Executables.find("chromium-browser") }

    static func run(_ args: [String]) throws -> ProcessResult {
        let profile = try TemporaryDirectory(prefix: "chromium-profile"); defer { profile.remove() }
        let argv = [executable ?? "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--user-data-dir=\(profile.path)"] + args
        return try SystemProcessRunner().run(argv, environment: nil, currentDirectory: nil, input: nil)
    }

    /// The DOM after the browser parsed the page, serialised.
    static func dom(_ file: String) throws -> String {
        let r = try run(["--dump-dom", "file://" + file])
        guard r.succeeded else { throw BasicsError.processLaunch(executable: "chromium", reason: r.stderrString) }
        return r.stdoutString
    }

    /// A PNG of the page (1280×2000 unless told); returns its bytes.
    static func screenshot(_ file: String, to png: String, size: String = "1280,2000") throws -> [UInt8] {
        let r = try run(["--screenshot=\(png)", "--window-size=\(size)", "--hide-scrollbars", "file://" + file])
        guard r.succeeded, let data = FileManager.default.contents(atPath: png) else {
            throw BasicsError.processLaunch(executable: "chromium", reason: r.stderrString)
        }
        return [UInt8](data)
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ b: [UInt8]) -> (width: Int, height: Int)? {
        guard b.count > 24, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        func be(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        return (be(16), be(20))
    }
}

/// What the browser's DOM says about one node: its section's id and state,
/// and the class of the graph node that links to it.
struct NodeInDOM {
    var anchor: String
    var state: String

    /// `<article id="…" class="node state-…" data-node="NAME" data-state="…">` for each node.
    static func all(_ dom: String) -> [String: NodeInDOM] {
        var out: [String: NodeInDOM] = [:]
        let re = try! NSRegularExpression(pattern: #"<article id="([^"]+)" class="node state-[a-z-]+" data-node="([^"]+)" data-state="([a-z-]+)""#)
        for m in re.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            let g = { (i: Int) in String(dom[Range(m.range(at: i), in: dom)!]) }
            out[g(2).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")] = NodeInDOM(anchor: g(1), state: g(3))
        }
        return out
    }
}

/// `cbuild report` on real build directories, checked in a real browser.
/// Heavy (chromium, dot, simulated builds): run with `--filter ReportBrowserTests`
/// or the `browser` tag; one build of the example directory serves several checks.
@Suite(.serialized, .tags(.browser),
       .enabled(if: Chromium.executable != nil && Executables.find("dot") != nil, "needs chromium and graphviz (scripts/install-deps)"))
struct ReportBrowserTests {
    /// Every node of `cbuild graph` is in the DOM with a state class, and its graph node carries the same class.
    func checkEveryNode(_ dom: String, _ ex: ExampleBuildDirectory, nodes: [String] = []) throws -> [String: NodeInDOM] {
        let graph = try ex.cbuild(["graph", "--format", "json"] + nodes)
        #expect(graph.status == 0, "\(graph)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(graph.stdout.utf8)) as? [[String: Any]])
        let inDOM = NodeInDOM.all(dom)
        #expect(entries.count > 5)
        for e in entries {
            let id = try #require(e["id"] as? String)
            let n = try #require(inDOM[id], "\(id) has a section")
            #expect(dom.contains("<g id=\"g-\(n.anchor)\" class=\"node state-\(n.state)\""), "\(id)'s graph node is classed \(n.state)")
            #expect(dom.contains("href=\"#\(n.anchor)\""), "\(id)'s graph node links to its section")
        }
        return inDOM
    }

    /// Status's word for each stage, as the report's class.
    func statusStates(_ ex: ExampleBuildDirectory) throws -> [String: String] {
        let r = try ex.cbuild(["status", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "\(r)")
        var out: [String: String] = [:]
        for row in rows {
            guard let node = row["node"] as? String, let s = row["state"] as? String else { continue }
            switch s {
            case "clean": out[node] = "up-to-date"
            case "clean (from cache)": out[node] = "fetched"
            case "stale (reusable)": out[node] = "reused"
            case "stale (in the cache)": out[node] = "fetched"
            default: out[node] = s.hasPrefix("blocked") ? "blocked" : s.replacingOccurrences(of: " ", with: "-")
            }
        }
        return out
    }

    @Test func aBuiltDirectoryWithAFailureInABrowser() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        // A project name with markup: valid (no spaces or '#'), and must render as text.
        try ex.edit("cbuild.toml") { $0.replacingOccurrences(of: "name = \"acme-fleet\"", with: "name = \"acme<script>document.title='pwned'</script>\"") }
        let ok = try ex.cbuild(["stage4/workstation"])
        #expect(ok.status == 0, "\(ok)")
        let bad = try ex.cbuild(["stage4/vm/test"], environment: ["CATALYST_SIM_FAIL": "*vm-test*"])
        #expect(bad.status == 1, "\(bad)")
        // A log line with markup (emerge output can hold anything).
        let logDir = ex.path + "/.cache/logs/stage4/vm/test"
        let log = try #require(try FileManager.default.contentsOfDirectory(atPath: logDir).first { $0.hasSuffix(".log") })
        let handle = try #require(FileHandle(forWritingAtPath: logDir + "/" + log))
        handle.seekToEndOfFile(); handle.write(Data("emerge: <script>window.pwned=1</script> & <b>done</b>\n".utf8)); handle.closeFile()

        let r = try ex.cbuild(["report"])
        #expect(r.status == 0, "\(r)")
        let index = ex.path + "/artifacts/report/index.html"
        #expect(r.stdout.trimmingCharacters(in: .newlines) == index, "prints where the report is")
        #expect(FileManager.default.fileExists(atPath: ex.path + "/artifacts/report/report.css"))

        let dom = try Chromium.dom(index)
        #expect(dom.contains("<svg role=\"group\" aria-label=\"Dependency graph"), "the graph is an inline SVG")
        #expect(dom.contains("class=\"durations\""), "the duration chart is there")
        let nodes = try checkEveryNode(dom, ex)
        // The stages agree with `cbuild status`.
        let status = try statusStates(ex)
        #expect(!status.isEmpty)
        for (node, state) in status { #expect(nodes[node]?.state == state, "\(node): status says \(state)") }
        #expect(nodes["stage4/workstation"]?.state == "up-to-date")
        #expect(nodes["stage4/vm/test"]?.state == "failed")
        // Escaping held: the markup is text, no element was made of it.
        #expect(!dom.contains("<script"), "no script element in the DOM")
        #expect(!dom.contains("<b>done"))
        #expect(dom.contains("emerge: &lt;script&gt;window.pwned=1&lt;/script&gt; &amp; &lt;b&gt;done&lt;/b&gt;"))
        #expect(dom.contains("acme&lt;script&gt;"))
        #expect(dom.contains("<title>cbuild report: acme&lt;script&gt;"), "the title is the text, not pwned")
        // The failed attempt's log is copied beside the report and linked.
        let link = try #require(dom.range(of: #"href="(logs/[^"]+)""#, options: .regularExpression).map { String(dom[$0]).dropFirst(6).dropLast() })
        let copy = try String(contentsOfFile: ex.path + "/artifacts/report/" + link, encoding: .utf8)
        #expect(copy.contains("window.pwned=1"))
        // Which catalyst built it, and the reason the failed stage would run now.
        #expect(dom.contains("SIMULATOR"), "the catalyst identity is shown")
        #expect(dom.contains("Last attempt: failed"))

        // A screenshot that is a real picture of the page.
        let png = ex.path + "/report.png"
        let bytes = try Chromium.screenshot(index, to: png)
        let size = try #require(Chromium.pngSize(bytes))
        #expect(size.width == 1280 && size.height == 2000, "\(size)")
        #expect(bytes.count > 40_000, "a page with a graph and text, not a blank image: \(bytes.count) bytes")
        // Printing (the print stylesheet): a PDF of several pages.
        let pdf = ex.path + "/report.pdf"
        let printed = try Chromium.run(["--no-pdf-header-footer", "--print-to-pdf=\(pdf)", "file://" + index])
        let pdfBytes = try #require(FileManager.default.contents(atPath: pdf), "\(printed.stderrString)")
        #expect(pdfBytes.starts(with: Data("%PDF".utf8)))
        // The page tree's /Count: the number of pages.
        let text = String(decoding: pdfBytes, as: UTF8.self)
        let re = try NSRegularExpression(pattern: #"/Count (\d+)"#)
        let pages = re.matches(in: text, range: NSRange(text.startIndex..., in: text))
            .compactMap { Int(text[Range($0.range(at: 1), in: text)!]) }.max() ?? 0
        #expect(pages >= 2, "a report of \(nodes.count) nodes prints on several pages: \(pages)")
        if let dest = ProcessInfo.processInfo.environment["CBUILD_REPORT_SCREENSHOT"] {
            // The picture in docs/report.md: the top of the same page in a smaller window (a smaller file to commit).
            let target = dest.hasPrefix("/") ? dest : BuiltProducts.packageRoot + "/" + dest
            try? FileManager.default.removeItem(atPath: target)
            let docs = try Chromium.screenshot(index, to: target, size: "1100,1400")
            #expect(docs.count > 40_000 && docs.count < 500_000, "\(docs.count) bytes")
        }
    }

    @Test func aDirectoryWithNoBuildsYet() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        // Without Graphviz: a clear error naming the package, nothing written.
        let noDot = try ex.cbuild(["report"], environment: ["PATH": BuiltProducts.directory + ":/nonexistent"])
        #expect(noDot.status == 2, "\(noDot)")
        #expect(noDot.stderr.contains("dot") && noDot.stderr.contains("graphviz"), "\(noDot)")
        #expect(!FileManager.default.fileExists(atPath: ex.path + "/artifacts/report"))

        let out = ex.path + "/site"
        let r = try ex.cbuild(["report", "--json", "--out", out, "stage4/workstation", "stage4/vm/test"])
        #expect(r.status == 0, "\(r)")
        let written = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        #expect(written["index"] as? String == out + "/index.html")
        #expect(written["copiedLogs"] as? Int == 0)
        let dom = try Chromium.dom(out + "/index.html")
        #expect(dom.contains("Nothing has been built in this directory yet."))
        #expect(dom.contains("No stage has a recorded build yet."))
        let nodes = try checkEveryNode(dom, ex, nodes: ["stage4/workstation", "stage4/vm/test"])
        #expect(nodes["stage4/workstation"]?.state == "never-built")
        #expect(nodes["stage4/vm/test"]?.state == "never-built")
        #expect(nodes["stage4/aws/web"] == nil, "only the requested nodes and their inputs")
    }

    @Test func aFailedNightlyWritesItsReport() throws {
        let ex = try ExampleBuildDirectory(snapshotDates: ["20261120"], stableDate: "20261120")
        let mirror = try MirrorFixture(); defer { ex.remove(); mirror.remove() }
        try FileManager.default.copyItem(atPath: mirror.keyFile, toPath: ex.path + "/keys/mirror.asc")
        try ex.edit("cbuild.toml") {
            $0.replacingOccurrences(of: "mirrors = [\"file:///srv/gentoo-mirror\"]", with: "mirrors = [\"\(mirror.fileURL)\"]")
                .replacingOccurrences(of: "targets = [\"fleet/prod\"]", with: "targets = [\"stage4/vm/test\", \"stage4/base\"]")
                .replacingOccurrences(of: "optional = [\"stage4/azure/web\"]", with: "optional = []")
        }
        let site = ex.path + "/nightly-site"
        let json = ex.path + "/reports/nightly.json"
        let r = try ex.cbuild(["nightly", "-k", "--report", site, "--json-report", json], environment: ["CBUILD_NOW": "20261125", "CATALYST_SIM_FAIL": "*vm-test*"])
        #expect(r.status == 1, "the nightly's own exit status: \(r)")
        #expect(r.stdout.contains("report: \(site)/index.html"), "\(r)")
        let dom = try Chromium.dom(site + "/index.html")
        #expect(dom.contains("id=\"nightly\""))
        #expect(dom.contains("no: stable stays at 20261120"), "not promoted")
        let failed = try #require(dom.range(of: #"<ul class="nightly-failed">.*?</ul>"#, options: .regularExpression).map { String(dom[$0]) })
        #expect(failed.contains("stage4/vm/test@testing"))
        #expect(dom.contains("<ul class=\"nightly-built\">") && dom.range(of: #"nightly-built">[^/]*stage4/base@testing"#, options: .regularExpression) != nil)
        let nodes = NodeInDOM.all(dom)
        #expect(nodes["stage4/vm/test@testing"]?.state == "failed")
        #expect(nodes["stage4/base@testing"]?.state == "up-to-date")
        #expect(dom.contains("class=\"timeline\""), "the nightly's fetch is on the role timeline")
        #expect(dom.contains("<strong>fetch</strong>"))
        #expect(FileManager.default.fileExists(atPath: site + "/nightly.json"))
        // A later report into the same directory shows that nightly again (the documented rule).
        let again = try ex.cbuild(["report", "--out", site])
        #expect(again.status == 0, "\(again)")
        let html = try String(contentsOfFile: site + "/index.html", encoding: .utf8)
        #expect(html.contains("<ul class=\"nightly-failed\"><li><a href=\"#node-stage4-vm-test-testing\">"), "\(html.prefix(3000))")
        // --nightly FILE: the file `nightly --json-report` wrote, shown in another report.
        let other = ex.path + "/other"
        let given = try ex.cbuild(["report", "--out", other, "--nightly", json])
        #expect(given.status == 0, "\(given)")
        let otherHTML = try String(contentsOfFile: other + "/index.html", encoding: .utf8)
        #expect(otherHTML.contains("From <code>reports/nightly.json</code>."), "where it came from, relative to the directory")
        #expect(otherHTML.contains("no: stable stays at 20261120"))
        // A file that is no nightly report: exit 2, named.
        let wrong = try ex.cbuild(["report", "--out", other, "--nightly", ex.path + "/cbuild.toml"])
        #expect(wrong.status == 2, "\(wrong)")
        #expect(wrong.stderr.contains("cbuild.toml: not a nightly report"), "\(wrong)")
    }
}
