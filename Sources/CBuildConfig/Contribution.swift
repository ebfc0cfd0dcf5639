/// What one source file contributed to a resolved target, per key — the
/// raw material of `--explain` ("features/ssh.toml: packages +net-misc/mosh").
public struct Contribution: Sendable, Hashable, CustomStringConvertible {
    /// The file relative to the build directory: a target, feature or fleet file.
    public var source: String
    /// The key it set: `packages`, `use`, `services`, `features`, `snapshot`, …
    public var key: String
    /// The values exactly as that file wrote them.
    public var values: [String]

    public init(source: String, key: String, values: [String]) {
        self.source = source
        self.key = key
        self.values = values
    }

    /// `features/ssh.toml: packages +net-misc/openssh +net-misc/mosh`.
    public var description: String {
        "\(source): \(key) " + values.map { "+" + $0 }.joined(separator: " ")
    }
}
