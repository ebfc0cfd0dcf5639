import CBuildBasics
import Foundation
import TOMLKit

/// One TOML file of the build directory, parsed: its values as Sendable
/// data with table keys in file order, and where every key is written.
/// TOMLKit parses and reports syntax errors; `TOMLKeyLocator` supplies the
/// positions TOMLKit does not keep.
struct TOMLDocument: Sendable {
    /// Path relative to the build directory, as errors show it.
    let file: String
    /// The top-level table's entries in file order.
    let entries: [TOMLEntry]
    let locator: TOMLKeyLocator

    /// Parses `text`; throws `ConfigError.malformedTOML` at TOMLKit's line and column.
    init(file: String, text: String) throws {
        self.file = file
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let line = error.source.begin.line
            throw ConfigError.malformedTOML(
                SourceLocation(file: file, line: line, column: error.source.begin.column),
                detail: Self.explain(error.description, line: text.split(separator: "\n", omittingEmptySubsequences: false)
                    .dropFirst(max(0, line - 1)).first.map(String.init) ?? ""))
        }
        let locator = TOMLKeyLocator(text: text)
        self.locator = locator
        entries = Self.entries(of: table, at: [], locator: locator)
    }

    /// TOMLKit's message, said plainly where it is cryptic: a string whose
    /// closing quote is missing runs into the end of the line, which the
    /// parser reports as a control character.
    static func explain(_ detail: String, line: String) -> String {
        let quotes = line.filter { $0 == "\"" }.count - line.components(separatedBy: "\\\"").count + 1
        if detail.contains("control characters") && quotes % 2 == 1 {
            return "unterminated string: a \" without its closing quote on this line (\(detail))"
        }
        return detail
    }

    /// Reads and parses `relative` under `directory`.
    static func load(_ relative: String, in directory: BuildDirectory) throws -> TOMLDocument {
        let full = directory.path(relative)
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ConfigError.unreadableFile(SourceLocation(file: relative), reason: "it does not exist or is not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError.unreadableFile(SourceLocation(file: relative), reason: "it is not UTF-8 text")
        }
        return try TOMLDocument(file: relative, text: text)
    }

    /// The top-level table, for typed reading.
    var reader: TableReader { TableReader(document: self, path: [], entries: entries) }

    /// Where `path` is (or its closest written ancestor, or the file's
    /// first line), with its key.
    func location(_ path: TOMLPath) -> SourceLocation {
        // A key missing from the top level is reported at the file's start.
        let position = locator.nearestPosition(of: path) ?? TOMLPosition(line: 1, column: 1)
        let key = path.keyOnly
        return SourceLocation(file: file, line: position.line, column: position.column,
                              key: key.isEmpty ? nil : key.rendered)
    }

    private static func entries(of table: TOMLTable, at path: TOMLPath, locator: TOMLKeyLocator) -> [TOMLEntry] {
        let unknown = TOMLPosition(line: Int.max, column: Int.max)
        let keys = table.keys.sorted { a, b in
            let pa = locator.position(of: path + [.key(a)]) ?? unknown
            let pb = locator.position(of: path + [.key(b)]) ?? unknown
            return pa == pb ? a < b : pa < pb
        }
        return keys.compactMap { key in
            table[key].map { TOMLEntry(key: key, value: node($0, at: path + [.key(key)], locator: locator)) }
        }
    }

    private static func node(_ value: TOMLValueConvertible, at path: TOMLPath, locator: TOMLKeyLocator) -> TOMLNode {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .boolean(value.bool ?? false)
        case .date, .time, .dateTime: return .dateTime(value.debugDescription)
        case .array:
            guard let array = value.array else { return .array([]) }
            return .array(array.enumerated().map { node($1, at: path + [.index($0)], locator: locator) })
        case .table:
            guard let table = value.table else { return .table([]) }
            return .table(entries(of: table, at: path, locator: locator))
        }
    }
}
