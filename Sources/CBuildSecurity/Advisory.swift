/// One Gentoo Linux Security Advisory as read from `metadata/glsa/glsa-ID.xml`:
/// what the audit reports (id, title, impact, fix) and what it matches
/// (the affected packages and their ranges).
public struct Advisory: Sendable, Codable, Equatable {
    /// `<impact type="…">`: the GLSA severity. Ordered low < normal < high.
    public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
        case low, normal, high
        var rank: Int { Severity.allCases.firstIndex(of: self)! }
        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    }

    /// One `<package>` element: a package, the arches it applies to, its ranges.
    public struct AffectedPackage: Sendable, Codable, Equatable {
        public var package: PackageName
        /// `*` or a space-separated keyword list (`amd64 x86`).
        public var arch: String
        /// `auto="yes"`: glsa-check may fix it automatically.
        public var auto: Bool
        public var vulnerable: [VersionRange]
        public var unaffected: [VersionRange]

        public init(package: PackageName, arch: String, auto: Bool, vulnerable: [VersionRange], unaffected: [VersionRange]) {
            self.package = package; self.arch = arch; self.auto = auto
            self.vulnerable = vulnerable; self.unaffected = unaffected
        }

        /// Whether the entry applies to an architecture keyword (portage: `*` or listed).
        public func applies(toArch keyword: String) -> Bool {
            arch == "*" || arch.split(separator: " ").contains { $0 == keyword }
        }
    }

    /// `202611-01` (the file is `glsa-202611-01.xml`).
    public var id: String
    public var title: String
    public var synopsis: String
    public var severity: Severity
    public var announced: String
    public var revised: String
    public var bugs: [String]
    public var packages: [AffectedPackage]
    /// The `<resolution>` text, whitespace collapsed (the emerge command to run).
    public var resolution: String

    public init(id: String, title: String, synopsis: String, severity: Severity, announced: String, revised: String,
                bugs: [String], packages: [AffectedPackage], resolution: String) {
        self.id = id; self.title = title; self.synopsis = synopsis; self.severity = severity
        self.announced = announced; self.revised = revised; self.bugs = bugs; self.packages = packages
        self.resolution = resolution
    }
}
