/// `CAT/PN-PV` with a parsed version: what `/var/db/pkg/CAT/PF` and an
/// ebuild file name denote.
public struct PackageVersionedName: Sendable, CustomStringConvertible {
    public var package: PackageName
    public var version: PackageVersion
    public var description: String { "\(package.cp)-\(version.text)" }

    public init(package: PackageName, version: PackageVersion) {
        self.package = package; self.version = version
    }

    /// Parses `cat/pn-1.2-r3`.
    public init?(_ cpv: String) {
        let parts = cpv.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, PackageName.isCategory(parts[0]),
              let (name, version) = PackageName.split(pf: String(parts[1])) else { return nil }
        self.init(package: PackageName(category: String(parts[0]), name: name), version: version)
    }
}
