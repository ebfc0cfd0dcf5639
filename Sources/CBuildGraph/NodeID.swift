/// The name users type for a node: `stage4/vm/test`, `spec/workstation`,
/// `snapshot/stable`, `fleet/prod`. Its first path component is the kind.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String
    public init(_ name: String) { self.name = name }
    public init(stringLiteral value: String) { self.name = value }

    /// `stage4`, `spec`, `snapshot`, `fleet`, …
    public var kind: String { name.split(separator: "/", maxSplits: 1).first.map(String.init) ?? name }
    /// Everything after the kind: `vm/test`, `vm/test@canary`.
    public var rest: String {
        guard let slash = name.firstIndex(of: "/") else { return "" }
        return String(name[name.index(after: slash)...])
    }
    public var description: String { name }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.name < b.name }

    public init(from decoder: Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(name) }
}
