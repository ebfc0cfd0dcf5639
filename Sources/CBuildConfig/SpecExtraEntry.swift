/// One raw catalyst spec key from a target's `[spec_extra]`, passed through
/// to the rendered spec in file order. Values are not interpreted (a path
/// in one is not checked): they are catalyst's business.
public struct SpecExtraEntry: Sendable, Hashable {
    /// A single value or a list (rendered one per line).
    public enum Value: Sendable, Hashable {
        case string(String)
        case list([String])
    }

    /// The spec key, e.g. `stage4/fsscript` or `boot/kernel/gentoo/extraversion`.
    public var key: String
    public var value: Value

    public init(key: String, value: Value) {
        self.key = key
        self.value = value
    }
}
