import Testing
@testable import CBuildConfig

@Suite struct TOMLKeyLocatorTests {
    static let text = #"""
        # comment = not a key
        name = "x"   # trailing [not] = a table
        [catalyst]
        flavor = 4
        command = [
            "sudo",   # why, ] not the end
            "catalyst",
        ]
        [seeds.amd64-openrc]
          arch = "amd64"
        [spec_extra]
        "stage4/fsscript" = "a # not a comment = x"
        'literal.key' = 1
        kernel = { config = "k", sources = "s" }
        a.b.c = 1
        multi = """
        fake = 1
        [fake]
        """
        after = true
        [[images]]
        format = "qcow2"
        [[images]]
        format = "raw"
        """#

    let locator = TOMLKeyLocator(text: Self.text)

    func at(_ path: TOMLPath) -> TOMLPosition? { locator.position(of: path) }

    @Test func findsKeysHeadersAndArrayElements() {
        #expect(at([.key("name")]) == TOMLPosition(line: 2, column: 1))
        #expect(at([.key("catalyst")]) == TOMLPosition(line: 3, column: 1))
        #expect(at([.key("catalyst"), .key("flavor")]) == TOMLPosition(line: 4, column: 1))
        #expect(at([.key("catalyst"), .key("command"), .index(0)]) == TOMLPosition(line: 6, column: 5))
        #expect(at([.key("catalyst"), .key("command"), .index(1)]) == TOMLPosition(line: 7, column: 5))
        #expect(at([.key("seeds")]) == TOMLPosition(line: 9, column: 1))
        #expect(at([.key("seeds"), .key("amd64-openrc"), .key("arch")]) == TOMLPosition(line: 10, column: 3))
    }

    @Test func quotedDottedAndInlineKeys() {
        let table: TOMLPath = [.key("spec_extra")]
        #expect(at(table + [.key("stage4/fsscript")]) == TOMLPosition(line: 12, column: 1))
        #expect(at(table + [.key("literal.key")]) == TOMLPosition(line: 13, column: 1))
        #expect(at(table + [.key("kernel"), .key("config")]) == TOMLPosition(line: 14, column: 12))
        #expect(at(table + [.key("kernel"), .key("sources")]) == TOMLPosition(line: 14, column: 26))
        #expect(at(table + [.key("a"), .key("b")]) == TOMLPosition(line: 15, column: 1))
        #expect(at(table + [.key("a"), .key("b"), .key("c")]) == TOMLPosition(line: 15, column: 1))
    }

    @Test func stringContentsAreNotKeys() {
        #expect(at([.key("spec_extra"), .key("fake")]) == nil)
        #expect(at([.key("fake")]) == nil)
        #expect(at([.key("not")]) == nil)
        #expect(at([.key("spec_extra"), .key("after")]) == TOMLPosition(line: 20, column: 1))
    }

    @Test func arrayTablesAreNumbered() {
        #expect(at([.key("images"), .index(0), .key("format")]) == TOMLPosition(line: 22, column: 1))
        #expect(at([.key("images"), .index(1), .key("format")]) == TOMLPosition(line: 24, column: 1))
    }

    @Test func nearestFallsBackToTheEnclosingTable() {
        #expect(locator.nearestPosition(of: [.key("seeds"), .key("amd64-openrc"), .key("variant")])
                == TOMLPosition(line: 9, column: 1))
        #expect(locator.nearestPosition(of: [.key("missing")]) == nil)
    }

    @Test func renderedPathsQuoteWhatIsNotBare() {
        let path: TOMLPath = [.key("spec_extra"), .key("stage4/fsscript"), .key("kernel"), .index(2)]
        #expect(path.rendered == #"spec_extra."stage4/fsscript".kernel[2]"#)
        #expect(path.keyOnly.rendered == #"spec_extra."stage4/fsscript".kernel"#)
    }
}
