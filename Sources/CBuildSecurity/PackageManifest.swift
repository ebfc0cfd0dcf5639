/// What a stage contains: every installed package, sorted by name then
/// version, plus where it was read from.
public struct PackageManifest: Sendable, Codable, Equatable {
    public var packages: [InstalledPackage]
    /// The tarball's name (not its path) and SHA-256, `sha256:…`.
    public var source: String
    public var sha256: String

    public init(packages: [InstalledPackage], source: String, sha256: String) {
        self.packages = packages.sorted {
            ($0.package, $0.mainSlot) == ($1.package, $1.mainSlot) ? $0.version < $1.version : ($0.package, $0.mainSlot) < ($1.package, $1.mainSlot)
        }
        self.source = source; self.sha256 = sha256
    }
}
