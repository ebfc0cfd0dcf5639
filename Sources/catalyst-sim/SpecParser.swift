/// Catalyst's line parser (`ParserBase` in catalyst/config.py, identical in
/// catalyst 3.0.22 and 4.1.1), used for spec files (`SpecParser`: separator
/// `:`, multi-valued) and for catalyst 3's shell-style catalyst.conf
/// (`ConfigParser`: separator `=`, single-valued).
///
/// The exact rules, line by line (a line is split on `\n`, `\r\n` or `\r`):
///
/// 1. The line is stripped of surrounding whitespace, then everything from
///    the first `#` to the end of the line is removed together with the
///    whitespace just before it (regex `\s*#.*$`). A `#` therefore can never
///    be part of a value, not even inside quotes. A line left empty is skipped.
/// 2. If the line contains the separator ANYWHERE (a `:` for specs — not
///    `: `), it starts a new key: the text before the FIRST separator is the
///    key, verbatim (not stripped: `key :` gives the key `"key "`, which no
///    target accepts). The rest is stripped of whitespace and then of any
///    leading and trailing `"` characters. If that is not empty it is
///    formatted with Python's `%` operator against the values parsed so far
///    (see `PythonPercentFormat`): `%%` → `%`, `%(subarch)s` → an earlier
///    value, a lone `%` → ValueError → catalyst exits 1 with a traceback.
///    The result is split on whitespace (specs) or kept whole (catalyst 3
///    conf). A key seen again starts over: the later definition replaces
///    the earlier one.
/// 3. A line WITHOUT the separator continues the current key: its
///    whitespace-separated words are appended. Continuation lines get no
///    `%` formatting and no quote stripping, so `%` is literal there and
///    `%%` stays `%%`. (In a catalyst 3 conf such a line is a
///    "Syntax error"; a continuation line before any key makes its first
///    word a key.)
/// 4. Hence a word containing `:` can only be written on the key line:
///    on a continuation line `dev-lang/python:3.12` starts a new key
///    `dev-lang/python` with the value `3.12` (which the target then rejects
///    as an unknown key). `stage4/packages: dev-lang/python:3.12` works,
///    because only the first `:` separates.
/// 5. After every line the key's value is recomputed: exactly one word → a
///    string, otherwise a list (zero or several words).
/// 6. At the end (specs only) keys whose value is empty (no words) are
///    deleted with the warning `No value set for key "k"; deleting`, and a
///    single-string value equal to `none` in any case becomes None.
///
/// What a spec therefore cannot express: a `#`; a word containing
/// whitespace; an empty list (the key disappears); a one-element list (it
/// is read as a string); the single value `none`; a first-line value that
/// begins or ends with `"` (stripped); a word with `:` on a continuation
/// line. The renderer's safe form: every value on its key line, words
/// separated by one space, each `%` written as `%%`.
struct SpecParser: Sendable {
    var separator: Character
    var multipleValues: Bool
    var emptyValues: Bool
    var evalNone: Bool

    /// The spec-file parser (`catalyst.config.SpecParser`).
    static let spec = SpecParser(separator: ":", multipleValues: true, emptyValues: false, evalNone: true)
    /// Catalyst 3's catalyst.conf parser (`catalyst.config.ConfigParser`).
    static let config3 = SpecParser(separator: "=", multipleValues: false, emptyValues: true, evalNone: false)

    /// What the parser reports through catalyst's logger while it works.
    struct Message: Equatable, Sendable {
        /// The logger level catalyst uses for the message.
        enum Level: Sendable { case warning, info }
        var level: Level
        var text: String
    }

    /// The parsed values in Python dict order, plus the log messages.
    struct Result: Sendable {
        var values: PyDict
        var messages: [Message]
    }

    /// A line the single-valued parser cannot read (`Syntax error: <index>`,
    /// a CatalystError in catalyst).
    struct SyntaxError: Error, Equatable, Sendable {
        /// 0-based index of the offending line, as catalyst prints it.
        var lineIndex: Int
    }

    /// Splits text into lines the way Python's universal-newline `readlines()` does.
    static func lines(of text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var pendingCR = false
        for u in text.unicodeScalars {
            if pendingCR {
                pendingCR = false
                lines.append(String(current)); current = String.UnicodeScalarView()
                if u == "\n" { continue }
            }
            if u == "\r" { pendingCR = true; continue }
            if u == "\n" { lines.append(String(current)); current = String.UnicodeScalarView(); continue }
            current.append(u)
        }
        if pendingCR || !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// Removes the trailing comment: the first `#`, everything after it and
    /// the whitespace right before it.
    static func stripComment(_ line: String) -> String {
        guard let hash = line.firstIndex(of: "#") else { return line }
        return PyString.rstrip(String(line[..<hash]))
    }

    /// Parses whole text. Throws `PythonException` for `%` errors and
    /// `SyntaxError` for the single-valued parser's unknown lines.
    func parse(_ text: String) throws -> Result {
        try parse(lines: SpecParser.lines(of: text))
    }

    func parse(lines: [String]) throws -> Result {
        var values = PyDict()
        var messages: [Message] = []
        var current: [String] = []
        for (index, raw) in lines.enumerated() {
            let line = SpecParser.stripComment(PyString.strip(raw))
            if line.isEmpty { continue }
            if let sep = line.firstIndex(of: separator) {
                let key = String(line[..<sep])
                var value = PyString.strip(String(line[line.index(after: sep)...]))
                value = PyString.strip(value, characters: ["\""])
                current = [key]
                if !value.isEmpty {
                    value = try PythonPercentFormat.format(value, mapping: values)
                    if multipleValues {
                        current += PyString.split(value)
                    } else {
                        current.append(value)
                    }
                }
            } else if multipleValues {
                current += PyString.split(line)
            } else {
                throw SyntaxError(lineIndex: index)
            }
            if current.count == 2 {
                values[current[0]] = .str(current[1])
            } else {
                values[current[0]] = .strings(Array(current.dropFirst()))
            }
        }
        if !emptyValues {
            for (key, value) in values.entries where !value.isTruthy {
                messages.append(Message(level: .warning, text: "No value set for key \"\(key)\"; deleting"))
                values[key] = nil
            }
        }
        if evalNone {
            for (key, value) in values.entries {
                if case let .str(s) = value, s.lowercased() == "none" {
                    messages.append(Message(level: .info, text: "None value found for key \"\(key)\"; reseting"))
                    values[key] = PyValue.none
                }
            }
        }
        return Result(values: values, messages: messages)
    }
}
