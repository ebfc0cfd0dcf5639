import CBuildBasics
import CBuildGraph
import Foundation

/// What the cache stores under `ac/<node key>`: one successful build of a
/// key — its outputs (path relative to the build directory, SHA-256, size;
/// the blobs live under `cas/<sha256>`), the per-input digests that made
/// the key, who built it, when, and with which cbuild. Serialized as JSON
/// with sorted keys; the exact bytes are what the envelope signs. Keys and
/// output digests are tagged (`sha256:<hex>`) as the state database keeps
/// them; server addresses use the bare hex.
public struct ActionRecord: Codable, Sendable, Equatable {
    /// One input as it entered the key.
    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        public var digest: String
        public init(name: String, digest: String) { self.name = name; self.digest = digest }
    }

    public static let currentFormat = "cbuild-action-record/1"

    public var format: String
    public var node: String
    public var key: String
    public var recipe: String
    public var outputs: [NodeOutput]
    public var inputs: [Input]
    public var builtBy: String
    public var builtAt: Date
    public var duration: Double
    public var cbuildVersion: String

    enum CodingKeys: String, CodingKey {
        case format, node, key, recipe, outputs, inputs, duration
        case builtBy = "built_by", builtAt = "built_at", cbuildVersion = "cbuild_version"
    }

    public init(node: String, key: String, recipe: String, outputs: [NodeOutput], inputs: [Input],
                builtBy: String, builtAt: Date, duration: Double, cbuildVersion: String) {
        format = Self.currentFormat
        self.node = node; self.key = key; self.recipe = recipe; self.outputs = outputs; self.inputs = inputs
        self.builtBy = builtBy; self.builtAt = builtAt; self.duration = duration; self.cbuildVersion = cbuildVersion
    }

    /// The canonical JSON text (sorted keys, ISO 8601 dates).
    public func encoded() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> ActionRecord {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try d.decode(ActionRecord.self, from: Data(text.utf8))
    }

    /// Why this record cannot be installed for `key`, or nil: another key,
    /// an unknown format, an output path that could leave the build
    /// directory or is not under `artifacts/`, a malformed digest.
    public func problem(forKey expected: String) -> String? {
        if format != Self.currentFormat { return "unknown record format '\(format)'" }
        if key != expected { return "the record is for key \(key), not \(expected)" }
        if outputs.isEmpty { return "the record lists no outputs" }
        var seen = Set<String>()
        for o in outputs {
            if let v = PathSafety.lexicalViolation(o.path) { return "output path '\(o.path)': \(v)" }
            if !o.path.hasPrefix("artifacts/") || o.path.contains("//") || o.path.hasSuffix("/")
                || o.path.split(separator: "/").contains(".") {
                return "output path '\(o.path)' is not a file under artifacts/"
            }
            if !seen.insert(o.path).inserted { return "output path '\(o.path)' is listed twice" }
            if Self.casHex(o.sha256) == nil { return "output '\(o.path)' has a malformed sha256 '\(o.sha256)'" }
            if o.size < 0 { return "output '\(o.path)' has a negative size" }
        }
        return nil
    }

    /// The lower-case hex a tagged `sha256:…` digest is stored under in
    /// `cas/` (and a key under `ac/`); nil for anything else.
    public static func casHex(_ tagged: String) -> String? {
        guard let d = Digest(tagged: tagged), d.algorithm == .sha256, d.description == tagged else { return nil }
        return d.hex
    }
}
