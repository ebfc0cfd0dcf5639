import CBuildBasics
import Testing
@testable import CBuildConfig

@Suite struct TOMLDocumentTests {
    @Test func tablesKeepFileOrder() throws {
        let doc = try TOMLDocument(file: "x.toml", text: """
            zeta = 1
            alpha = "a"
            [middle]
            z = [1, 2]
            b = { y = true, a = 1.5 }
            """)
        #expect(doc.entries.map(\.key) == ["zeta", "alpha", "middle"])
        guard case let .table(middle)? = doc.entries.last?.value else { Issue.record("no table"); return }
        #expect(middle.map(\.key) == ["z", "b"])
        guard case let .table(inline)? = middle.last?.value else { Issue.record("no inline table"); return }
        #expect(inline == [TOMLEntry(key: "y", value: .boolean(true)), TOMLEntry(key: "a", value: .float(1.5))])
        #expect(middle.first?.value == .array([.integer(1), .integer(2)]))
    }

    @Test func malformedTOMLNamesTOMLKitsLineAndColumn() {
        do {
            _ = try TOMLDocument(file: "targets/x.toml", text: "stage = 4\nseed = \"unterminated\nprofile = 1\n")
            Issue.record("parsed malformed TOML")
        } catch let error as ConfigError {
            guard case let .malformedTOML(location, _) = error else { Issue.record("\(error)"); return }
            #expect(location.file == "targets/x.toml")
            #expect(location.line == 2)
            #expect(location.column != nil)
            #expect(error.description.hasPrefix("targets/x.toml:2:"))
            #expect(error.exitStatus == .usage)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func duplicateKeysAreMalformed() {
        #expect(throws: ConfigError.self) { try TOMLDocument(file: "a.toml", text: "a = 1\na = 2\n") }
    }

    @Test func locationsCarryTheKeyPath() throws {
        let doc = try TOMLDocument(file: "cbuild.toml", text: "[catalyst]\n\nflavor = 5\n")
        let location = doc.location([.key("catalyst"), .key("flavor")])
        #expect(location == CBuildBasics.SourceLocation(file: "cbuild.toml", line: 3, column: 1, key: "catalyst.flavor"))
        #expect(doc.location([.key("nothing")]).line == 1)
    }
}
