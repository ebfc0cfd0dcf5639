/// One package recorded in a stage's `/var/db/pkg/CAT/PF/`: the files
/// portage writes there and the audit needs — `CATEGORY`, `PF`, `SLOT`
/// (`SLOT[/SUBSLOT]`), `repository`, `USE` (the enabled flags).
public struct InstalledPackage: Sendable, Codable, Equatable, CustomStringConvertible {
    public var package: PackageName
    public var version: PackageVersion
    /// As written in `SLOT`, `0` when the file is missing.
    public var slot: String
    /// `gentoo`, an overlay's name, or "" when the file is missing.
    public var repository: String
    /// Enabled USE flags, sorted.
    public var use: [String]

    public init(package: PackageName, version: PackageVersion, slot: String, repository: String, use: [String]) {
        self.package = package; self.version = version; self.slot = slot
        self.repository = repository; self.use = use.sorted()
    }

    /// `cat/pn-1.2-r1`.
    public var cpv: String { "\(package.cp)-\(version.text)" }
    /// The slot without a sub-slot, which is what makes two installs different packages.
    public var mainSlot: String { String(slot.split(separator: "/", maxSplits: 1).first ?? "0") }
    public var description: String { cpv + ":" + slot + (repository.isEmpty ? "" : "::" + repository) }
}
