import CBuildBasics

/// Typed, checked access to one table of a `TOMLDocument`: every read either
/// returns a value of the expected type or throws a `ConfigError` naming the
/// file, line, column and key.
struct TableReader: Sendable {
    let document: TOMLDocument
    /// Where this table sits in the document (`[]` for the top level).
    let path: TOMLPath
    let entries: [TOMLEntry]

    var keys: [String] { entries.map(\.key) }
    var isEmpty: Bool { entries.isEmpty }
    var file: String { document.file }

    func node(_ key: String) -> TOMLNode? { entries.first { $0.key == key }?.value }
    func has(_ key: String) -> Bool { node(key) != nil }

    /// The location of `key` in this table (or of the table itself).
    func location(_ key: String? = nil) -> SourceLocation {
        document.location(key.map { path + [.key($0)] } ?? path)
    }

    /// The location of element `index` of the array at `key`.
    func location(_ key: String, index: Int) -> SourceLocation {
        document.location(path + [.key(key), .index(index)])
    }

    /// The dotted name of `key` as errors show it (`seeds.amd64-openrc.arch`).
    func keyName(_ key: String) -> String { (path + [.key(key)]).keyOnly.rendered }

    /// The first key (in file order) not in `allowed` is an error with a suggestion.
    func rejectUnknownKeys(allowed: [String]) throws {
        for entry in entries where !allowed.contains(entry.key) {
            throw ConfigError.unknownKey(location(entry.key), key: keyName(entry.key), allowed: allowed)
        }
    }

    func wrongType(_ key: String, expected: String, found: TOMLNode) -> ConfigError {
        .wrongType(location(key), key: keyName(key), expected: expected, found: found.kindDescription)
    }

    func invalid(_ key: String, _ problem: String, hint: String? = nil) -> ConfigError {
        .invalidValue(location(key), key: keyName(key), problem: problem, hint: hint)
    }

    func invalid(_ key: String, index: Int, _ problem: String, hint: String? = nil) -> ConfigError {
        .invalidValue(location(key, index: index), key: keyName(key), problem: problem, hint: hint)
    }

    /// Reported at the table's header (or the file's start), naming the missing key.
    func missing(_ key: String, expected: String) -> ConfigError {
        var at = location()
        at.key = keyName(key)
        return .missingKey(at, key: keyName(key), expected: expected)
    }

    func string(_ key: String) throws -> String? {
        guard let value = node(key) else { return nil }
        guard case let .string(s) = value else { throw wrongType(key, expected: "a string", found: value) }
        return s
    }

    func requiredString(_ key: String, expected: String) throws -> String {
        guard let s = try string(key) else { throw missing(key, expected: expected) }
        return s
    }

    func integer(_ key: String) throws -> Int? {
        guard let value = node(key) else { return nil }
        guard case let .integer(i) = value else { throw wrongType(key, expected: "an integer", found: value) }
        return i
    }

    func boolean(_ key: String) throws -> Bool? {
        guard let value = node(key) else { return nil }
        guard case let .boolean(b) = value else { throw wrongType(key, expected: "true or false", found: value) }
        return b
    }

    /// An array whose elements are all strings.
    func strings(_ key: String) throws -> [String]? {
        guard let value = node(key) else { return nil }
        guard case let .array(elements) = value else {
            throw wrongType(key, expected: "an array of strings", found: value)
        }
        return try elements.enumerated().map { index, element in
            guard case let .string(s) = element else {
                throw ConfigError.wrongType(location(key, index: index), key: keyName(key),
                                            expected: "an array of strings",
                                            found: "\(element.kindDescription) in it")
            }
            return s
        }
    }

    func table(_ key: String) throws -> TableReader? {
        guard let value = node(key) else { return nil }
        guard case let .table(inner) = value else { throw wrongType(key, expected: "a table", found: value) }
        return TableReader(document: document, path: path + [.key(key)], entries: inner)
    }
}
