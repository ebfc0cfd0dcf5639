import CBuildBasics
import Foundation

/// `cbuild.lock`: the exact file every snapshot and seed role points to, with
/// its size and digests, so a fresh clone re-fetches exactly the same bytes
/// (`cbuild snapshot fetch --locked`). Written by cbuild whenever a role
/// moves and committed by users, so the format is deterministic: tables and
/// keys in a fixed order, roles sorted.
///
/// Format (a TOML subset; documented in docs/snapshots.md):
/// ```toml
/// version = 1
///
/// [snapshots.stable]
/// date = "20261124"
/// file = "gentoo-20261124.xz.sqfs"
/// size = 123456
/// sha256 = "…"
/// sha512 = "…"
/// blake2b = "…"
///
/// [seeds.amd64-openrc.stable]
/// release = "20261124T170000Z"
/// file = "stage3-amd64-openrc-20261124T170000Z.tar.xz"
/// source = "20261124T170000Z/stage3-amd64-openrc-20261124T170000Z.tar.xz"
/// size = 234567
/// sha256 = "…"
/// sha512 = "…"
/// blake2b = "…"
/// ```
/// `source` is the stage's path below `releases/<arch>/autobuilds/` as the
/// signed listing named it. Digests are lowercase hex.
public struct LockFile: Sendable, Equatable {
    public static let fileName = "cbuild.lock"
    public static let formatVersion = 1

    /// One role's file.
    public struct Entry: Sendable, Equatable {
        /// The date (snapshots) or release stamp (seeds).
        public var ident: String
        /// The stored file name under `artifacts/snapshots/` or `artifacts/builds/seeds/`.
        public var file: String
        public var size: Int64
        public var sha256: String
        public var sha512: String
        public var blake2b: String
        /// Seeds only: the path below `releases/<arch>/autobuilds/` on the mirror.
        public var source: String?

        public init(ident: String, file: String, size: Int64, sha256: String, sha512: String,
                    blake2b: String, source: String? = nil) {
            self.ident = ident; self.file = file; self.size = size
            self.sha256 = sha256; self.sha512 = sha512; self.blake2b = blake2b; self.source = source
        }

        /// The entry's digests as tagged values.
        public var digests: [Digest] {
            [Digest(algorithm: .sha256, hex: sha256), Digest(algorithm: .sha512, hex: sha512),
             Digest(algorithm: .blake2b512, hex: blake2b)].compactMap { $0 }
        }
    }

    /// Snapshot role → entry.
    public var snapshots: [String: Entry]
    /// Seed name → role → entry.
    public var seeds: [String: [String: Entry]]

    public init(snapshots: [String: Entry] = [:], seeds: [String: [String: Entry]] = [:]) {
        self.snapshots = snapshots
        self.seeds = seeds
    }

    // MARK: reading and writing

    /// Reads `path`; a missing file is an empty lock.
    public static func read(at path: String) throws -> LockFile {
        guard FileManager.default.fileExists(atPath: path) else { return LockFile() }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ArtifactError.lockFileInvalid(path: displayName(path), line: nil, key: nil, reason: "cannot read the file as UTF-8")
        }
        return try parse(text, file: displayName(path))
    }

    /// Writes atomically (temp file + rename), so a crash leaves the old or the new lock.
    public func write(to path: String) throws {
        let temp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: Data(render().utf8)) else {
            throw ArtifactError.io(path: path, reason: "cannot write cbuild.lock")
        }
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw ArtifactError.io(path: path, reason: "cannot write cbuild.lock: \(String(cString: strerror(errno)))")
        }
    }

    private static func displayName(_ path: String) -> String { (path as NSString).lastPathComponent }

    /// The file's text: same content, same bytes.
    public func render() -> String {
        var out = """
            # cbuild.lock: the exact snapshot and seed file each role points to.
            # Written by cbuild whenever a role moves; commit it. In a fresh clone,
            # `cbuild snapshot fetch --locked` and `cbuild seed fetch --locked` download
            # exactly these files and check them against these digests and the signatures.
            version = \(Self.formatVersion)

            """
        for role in snapshots.keys.sorted() {
            out += "\n[snapshots.\(Self.key(role))]\n"
            out += Self.body(snapshots[role]!, identKey: "date")
        }
        for name in seeds.keys.sorted() {
            for role in seeds[name]!.keys.sorted() {
                out += "\n[seeds.\(Self.key(name)).\(Self.key(role))]\n"
                out += Self.body(seeds[name]![role]!, identKey: "release")
            }
        }
        return out
    }

    private static func body(_ e: Entry, identKey: String) -> String {
        var s = "\(identKey) = \(quote(e.ident))\nfile = \(quote(e.file))\n"
        if let source = e.source { s += "source = \(quote(source))\n" }
        s += "size = \(e.size)\nsha256 = \(quote(e.sha256))\nsha512 = \(quote(e.sha512))\nblake2b = \(quote(e.blake2b))\n"
        return s
    }

    private static func key(_ k: String) -> String {
        let bare = !k.isEmpty && k.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        return bare ? k : quote(k)
    }

    private static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: parsing

    /// A parsed TOML value: the lock only uses strings and integers.
    private enum Value { case string(String), integer(Int64) }

    /// Parses the subset of TOML that `render()` writes: comments, `[a.b.c]`
    /// headers of bare or quoted keys, `key = "string"` and `key = 123`.
    public static func parse(_ text: String, file: String) throws -> LockFile {
        func fail(_ line: Int?, _ key: String?, _ reason: String) -> ArtifactError {
            .lockFileInvalid(path: file, line: line, key: key, reason: reason)
        }
        var lock = LockFile()
        var version: Int64?
        var table: [String]? = nil
        var tableLine = 0
        var fields: [String: (Value, Int)] = [:]
        var seenTables = Set<[String]>()

        func finishTable() throws {
            guard let path = table else { return }
            let entry = try makeEntry(path, fields, line: tableLine, fail: fail)
            if path[0] == "snapshots" { lock.snapshots[path[1]] = entry } else { lock.seeds[path[1], default: [:]][path[2]] = entry }
        }

        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" })
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                try finishTable()
                guard line.hasSuffix("]"), !line.hasPrefix("[[") else { throw fail(number, nil, "malformed table header") }
                guard let path = splitKey(String(line.dropFirst().dropLast())) else {
                    throw fail(number, nil, "malformed table header")
                }
                switch (path.first, path.count) {
                case ("snapshots", 2):
                    guard RoleName.isValid(path[1]) else { throw fail(number, path[1], "'\(path[1])' is not a role name") }
                case ("seeds", 3):
                    guard RoleName.isValidComponent(path[1]) else { throw fail(number, path[1], "'\(path[1])' is not a seed name") }
                    guard RoleName.isValid(path[2]) else { throw fail(number, path[2], "'\(path[2])' is not a role name") }
                default:
                    throw fail(number, path.joined(separator: "."),
                               "unknown table; expected [snapshots.ROLE] or [seeds.NAME.ROLE]")
                }
                guard seenTables.insert(path).inserted else {
                    throw fail(number, path.joined(separator: "."), "table defined twice")
                }
                table = path
                tableLine = number
                fields = [:]
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { throw fail(number, nil, "expected key = value") }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard let value = parseValue(line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)) else {
                throw fail(number, key, "value must be a quoted string or an integer")
            }
            if table == nil {
                guard key == "version" else { throw fail(number, key, "unknown key; only 'version' is allowed at the top") }
                guard case let .integer(v) = value else { throw fail(number, key, "version must be an integer") }
                version = v
            } else {
                guard fields[key] == nil else { throw fail(number, key, "key given twice") }
                fields[key] = (value, number)
            }
        }
        try finishTable()
        guard let version else { throw fail(nil, "version", "missing 'version'") }
        guard version <= Int64(formatVersion), version >= 1 else {
            throw fail(nil, "version", "format version \(version) is not supported by this cbuild (it reads version \(formatVersion))")
        }
        return lock
    }

    private static func makeEntry(_ path: [String], _ fields: [String: (Value, Int)], line: Int,
                                  fail: (Int?, String?, String) -> ArtifactError) throws -> Entry {
        let isSeed = path[0] == "seeds"
        let identKey = isSeed ? "release" : "date"
        let allowed = Set([identKey, "file", "size", "sha256", "sha512", "blake2b"] + (isSeed ? ["source"] : []))
        for (key, (_, l)) in fields where !allowed.contains(key) {
            let hint = Suggest.didYouMean(key, among: allowed.sorted()).map { "; \($0)" } ?? ""
            throw fail(l, key, "unknown key\(hint)")
        }
        func string(_ key: String, optional: Bool = false) throws -> String? {
            guard let (value, l) = fields[key] else {
                if optional { return nil }
                throw fail(line, key, "missing '\(key)'")
            }
            guard case let .string(s) = value else { throw fail(l, key, "'\(key)' must be a string") }
            return s
        }
        let ident = try string(identKey)!
        guard isSeed ? ArtifactIdent.isReleaseStamp(ident) : ArtifactIdent.isSnapshotDate(ident) else {
            throw fail(fields[identKey]!.1, identKey, "'\(ident)' is not a valid \(isSeed ? "release stamp" : "date")")
        }
        let file = try string("file")!
        guard RoleName.isValidComponent(file) else { throw fail(fields["file"]!.1, "file", "'\(file)' is not a plain file name") }
        guard let (sizeValue, sizeLine) = fields["size"] else { throw fail(line, "size", "missing 'size'") }
        guard case let .integer(size) = sizeValue, size >= 0 else { throw fail(sizeLine, "size", "'size' must be a non-negative integer") }
        var digests: [String: String] = [:]
        for (key, alg) in [("sha256", Digest.Algorithm.sha256), ("sha512", .sha512), ("blake2b", .blake2b512)] {
            let hex = try string(key)!
            guard Digest(algorithm: alg, hex: hex) != nil else {
                throw fail(fields[key]!.1, key, "'\(key)' is not a \(alg.byteCount * 8)-bit hex digest")
            }
            digests[key] = hex.lowercased()
        }
        let source = try string("source", optional: true)
        if let source, let v = PathSafety.lexicalViolation(source) {
            throw fail(fields["source"]!.1, "source", "'\(source)' is refused: \(v)")
        }
        return Entry(ident: ident, file: file, size: size, sha256: digests["sha256"]!, sha512: digests["sha512"]!,
                     blake2b: digests["blake2b"]!, source: source)
    }

    /// `a."b c".d` → ["a", "b c", "d"]; nil when malformed.
    private static func splitKey(_ text: String) -> [String]? {
        var parts: [String] = []
        var i = text.startIndex
        while true {
            while i < text.endIndex, text[i] == " " { i = text.index(after: i) }
            guard i < text.endIndex else { return nil }
            if text[i] == "\"" {
                guard let (s, next) = parseQuoted(text, from: i) else { return nil }
                parts.append(s)
                i = next
            } else {
                var part = ""
                while i < text.endIndex, text[i] != ".", text[i] != " " { part.append(text[i]); i = text.index(after: i) }
                guard !part.isEmpty, part.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
                parts.append(part)
            }
            while i < text.endIndex, text[i] == " " { i = text.index(after: i) }
            if i == text.endIndex { return parts }
            guard text[i] == "." else { return nil }
            i = text.index(after: i)
        }
    }

    private static func parseValue(_ text: String) -> Value? {
        if text.hasPrefix("\"") {
            guard let (s, next) = parseQuoted(text, from: text.startIndex) else { return nil }
            let rest = text[next...].trimmingCharacters(in: .whitespaces)
            return rest.isEmpty || rest.hasPrefix("#") ? .string(s) : nil
        }
        let token = text.split(separator: "#", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return Int64(token).map { .integer($0) }
    }

    /// A basic TOML string starting at `start` (a `"`); returns it and the index after the closing quote.
    private static func parseQuoted(_ text: String, from start: String.Index) -> (String, String.Index)? {
        var out = ""
        var i = text.index(after: start)
        while i < text.endIndex {
            let c = text[i]
            if c == "\"" { return (out, text.index(after: i)) }
            if c == "\\" {
                i = text.index(after: i)
                guard i < text.endIndex else { return nil }
                switch text[i] {
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: return nil
                }
            } else {
                out.append(c)
            }
            i = text.index(after: i)
        }
        return nil
    }
}
