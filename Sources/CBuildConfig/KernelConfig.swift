/// A target's kernel: the config file (`kernel/workstation.config`, a path
/// in the build directory) and the sources package catalyst builds from.
public struct KernelConfig: Sendable, Hashable {
    /// Path relative to the build directory; checked to exist.
    public var config: String?
    /// A package atom, e.g. `sys-kernel/gentoo-kernel`.
    public var sources: String?

    public init(config: String? = nil, sources: String? = nil) {
        self.config = config
        self.sources = sources
    }
}
