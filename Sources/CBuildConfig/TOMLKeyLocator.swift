/// Finds where each key (and each array element) of a TOML file is written,
/// so errors can name `file:line:column`. TOMLKit's parsed values carry no
/// positions, so this scans the text itself: table headers `[a.b]` and
/// `[[a]]`, `key = value` lines with bare, quoted and dotted keys, inline
/// tables and arrays (also across lines), strings of all four kinds and
/// comments. It runs only on text TOMLKit has already accepted, so it is
/// lenient: whatever it cannot follow it skips to the end of the line.
struct TOMLKeyLocator: Sendable {
    /// First position of every path written in the file (or implied by a
    /// dotted key or header, at the position of that key or header).
    let positions: [TOMLPath: TOMLPosition]

    init(text: String) {
        var scanner = LocatorScanner(text: text)
        scanner.run()
        positions = scanner.positions
    }

    /// Where `path` is written, or nil.
    func position(of path: TOMLPath) -> TOMLPosition? { positions[path] }

    /// Where `path` is written, or else its closest written ancestor.
    func nearestPosition(of path: TOMLPath) -> TOMLPosition? {
        var p = path
        while true {
            if let pos = positions[p] { return pos }
            if p.isEmpty { return nil }
            p.removeLast()
        }
    }

    /// Whether `key` may be written without quotes.
    static func isBareKey(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy(isBareKeyScalar)
    }

    static func isBareKeyScalar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }
}

/// The character-level scan behind `TOMLKeyLocator`.
private struct LocatorScanner {
    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    var column = 1
    var positions: [TOMLPath: TOMLPosition] = [:]
    var arrayTableCounts: [TOMLPath: Int] = [:]

    init(text: String) { s = Array(text.unicodeScalars) }

    var atEnd: Bool { i >= s.count }
    var here: TOMLPosition { TOMLPosition(line: line, column: column) }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        i + offset < s.count ? s[i + offset] : nil
    }

    mutating func advance() {
        guard i < s.count else { return }
        if s[i] == "\n" { line += 1; column = 1 } else { column += 1 }
        i += 1
    }

    mutating func record(_ path: TOMLPath, _ position: TOMLPosition) {
        if positions[path] == nil { positions[path] = position }
    }

    /// Records `path` and the tables a dotted key or header implies on the way.
    mutating func recordWithPrefixes(_ path: TOMLPath, from start: Int, _ position: TOMLPosition) {
        guard start < path.count else { record(path, position); return }
        for end in (start + 1)...path.count { record(Array(path[..<end]), position) }
    }

    mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    mutating func skipToLineEnd() {
        while let c = peek() {
            advance()
            if c == "\n" { return }
        }
    }

    /// Spaces, newlines and comments, as allowed between array elements.
    mutating func skipBlank() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" { advance() }
            else if c == "#" { while let d = peek(), d != "\n" { advance() } }
            else { return }
        }
    }

    mutating func run() {
        var table: TOMLPath = []
        while !atEnd {
            skipSpaces()
            guard let c = peek() else { break }
            if c == "\n" || c == "\r" { advance(); continue }
            if c == "#" { skipToLineEnd(); continue }
            if c == "[" {
                let position = here
                let isArrayTable = peek(1) == "["
                advance()
                if isArrayTable { advance() }
                guard let keys = parseKey() else { skipToLineEnd(); continue }
                var path: TOMLPath = keys.map { .key($0) }
                recordWithPrefixes(path, from: 0, position)
                if isArrayTable {
                    let n = arrayTableCounts[path, default: 0]
                    arrayTableCounts[path] = n + 1
                    path.append(.index(n))
                    record(path, position)
                }
                table = path
                skipToLineEnd()
                continue
            }
            let position = here
            guard let keys = parseKey() else { skipToLineEnd(); continue }
            skipSpaces()
            guard peek() == "=" else { skipToLineEnd(); continue }
            advance()
            skipSpaces()
            let path = table + keys.map { TOMLPathComponent.key($0) }
            recordWithPrefixes(path, from: table.count, position)
            parseValue(path)
            skipToLineEnd()
        }
    }

    /// A possibly dotted key: bare, "basic" or 'literal' parts.
    mutating func parseKey() -> [String]? {
        var keys: [String] = []
        while true {
            skipSpaces()
            guard let c = peek() else { return nil }
            if c == "\"" {
                keys.append(parseBasicString())
            } else if c == "'" {
                keys.append(parseLiteralString())
            } else if TOMLKeyLocator.isBareKeyScalar(c) {
                var key = String.UnicodeScalarView()
                while let d = peek(), TOMLKeyLocator.isBareKeyScalar(d) { key.append(d); advance() }
                keys.append(String(key))
            } else {
                return nil
            }
            skipSpaces()
            if peek() == "." { advance(); continue }
            return keys
        }
    }

    mutating func parseValue(_ path: TOMLPath) {
        guard let c = peek() else { return }
        switch c {
        case "\"":
            if peek(1) == "\"" && peek(2) == "\"" { skipMultiline(quote: "\"", escapes: true) }
            else { _ = parseBasicString() }
        case "'":
            if peek(1) == "'" && peek(2) == "'" { skipMultiline(quote: "'", escapes: false) }
            else { _ = parseLiteralString() }
        case "[":
            advance()
            var n = 0
            while true {
                skipBlank()
                guard let d = peek() else { return }
                if d == "]" { advance(); return }
                if d == "," { advance(); continue }
                let element = path + [.index(n)]
                record(element, here)
                let before = i
                parseValue(element)
                if i == before { advance() }
                n += 1
            }
        case "{":
            advance()
            while true {
                skipBlank()
                guard let d = peek() else { return }
                if d == "}" { advance(); return }
                if d == "," { advance(); continue }
                let position = here
                let before = i
                guard let keys = parseKey() else { if i == before { advance() }; continue }
                skipSpaces()
                guard peek() == "=" else { continue }
                advance()
                skipSpaces()
                let full = path + keys.map { TOMLPathComponent.key($0) }
                recordWithPrefixes(full, from: path.count, position)
                parseValue(full)
            }
        default:
            while let d = peek(), d != ",", d != "]", d != "}", d != "#", d != "\n", d != "\r" { advance() }
        }
    }

    /// A single-line "basic" string with escapes; returns its value.
    mutating func parseBasicString() -> String {
        var out = String.UnicodeScalarView()
        advance()
        while let c = peek() {
            if c == "\"" { advance(); break }
            if c == "\n" { break }
            if c == "\\" {
                advance()
                guard let e = peek() else { break }
                advance()
                switch e {
                case "b": out.append("\u{08}")
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "f": out.append("\u{0C}")
                case "r": out.append("\r")
                case "e": out.append("\u{1B}")
                case "u", "U":
                    var hex = ""
                    for _ in 0..<(e == "u" ? 4 : 8) {
                        guard let h = peek() else { break }
                        hex.unicodeScalars.append(h)
                        advance()
                    }
                    if let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) { out.append(scalar) }
                default: out.append(e)
                }
                continue
            }
            out.append(c)
            advance()
        }
        return String(out)
    }

    /// A single-line 'literal' string; returns its value.
    mutating func parseLiteralString() -> String {
        var out = String.UnicodeScalarView()
        advance()
        while let c = peek() {
            if c == "'" { advance(); break }
            if c == "\n" { break }
            out.append(c)
            advance()
        }
        return String(out)
    }

    /// A multi-line string; its closing delimiter may carry up to two more quotes.
    mutating func skipMultiline(quote: Unicode.Scalar, escapes: Bool) {
        advance(); advance(); advance()
        while let c = peek() {
            if escapes && c == "\\" { advance(); advance(); continue }
            if c == quote && peek(1) == quote && peek(2) == quote {
                advance(); advance(); advance()
                var extra = 0
                while extra < 2, peek() == quote { advance(); extra += 1 }
                return
            }
            advance()
        }
    }
}
