/// Writes GLSA XML documents in the shape Gentoo publishes them
/// (`metadata/glsa/glsa-YYYYMM-NN.xml`, DOCTYPE glsa.dtd), for tests that
/// put advisories into snapshots or compare matching with portage.
public enum GLSAFixture {
    /// One `<vulnerable>`/`<unaffected>` element.
    public struct Range: Sendable {
        public var op: String
        public var version: String
        public var slot: String?
        public init(_ op: String, _ version: String, slot: String? = nil) {
            self.op = op; self.version = version; self.slot = slot
        }
    }

    /// One `<package>` element.
    public struct Package: Sendable {
        public var name: String
        public var arch: String
        public var vulnerable: [Range]
        public var unaffected: [Range]
        public init(_ name: String, arch: String = "*", vulnerable: [Range], unaffected: [Range]) {
            self.name = name; self.arch = arch; self.vulnerable = vulnerable; self.unaffected = unaffected
        }
    }

    /// The file name Gentoo gives an advisory.
    public static func fileName(_ id: String) -> String { "glsa-\(id).xml" }

    public static func xml(id: String, title: String = "Test advisory", severity: String = "normal",
                           packages: [Package], resolution: String = "Upgrade to the latest version.") -> String {
        func ranges(_ tag: String, _ rs: [Range]) -> String {
            rs.map { r in
                let slot = r.slot.map { " slot=\"\($0)\"" } ?? ""
                return "      <\(tag) range=\"\(r.op)\"\(slot)>\(r.version)</\(tag)>\n"
            }.joined()
        }
        let pkgs = packages.map { p in
            "    <package name=\"\(p.name)\" auto=\"yes\" arch=\"\(p.arch)\">\n"
                + ranges("unaffected", p.unaffected) + ranges("vulnerable", p.vulnerable) + "    </package>\n"
        }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd">
            <glsa id="\(id)">
              <title>\(title)</title>
              <synopsis>A vulnerability in \(packages.first?.name ?? "a package") may allow bad things.</synopsis>
              <product type="ebuild">\(packages.first?.name.split(separator: "/").last.map(String.init) ?? "none")</product>
              <announced>2026-11-20</announced>
              <revised count="1">2026-11-20</revised>
              <bug>900001</bug>
              <access>remote</access>
              <affected>
            \(pkgs)  </affected>
              <background><p>Background.</p></background>
              <description><p>Description.</p></description>
              <impact type="\(severity)"><p>Impact.</p></impact>
              <workaround><p>There is no known workaround at this time.</p></workaround>
              <resolution><p>\(resolution)</p></resolution>
              <references><uri link="https://example.invalid/CVE-2026-0001">CVE-2026-0001</uri></references>
            </glsa>

            """
    }
}
