import CBuildState

/// The hook for package manifests and advisories (SPEC section 10). The
/// report does not read security data itself: when a provider exists (the
/// `cbuild packages` / `cbuild audit` work records manifests and GLSA
/// matches in state), it conforms to this protocol and is passed as
/// `ReportOptions.security`. With no provider — today's default — or when
/// a node has no data, the report renders nothing for it: no heading, no
/// empty table, no flag in `--help`.
public protocol ReportSecuritySource: Sendable {
    /// The package count and open advisories of a node's current build, or
    /// nil when nothing is known about it.
    func security(node: String, current: NodeBuildHead?) throws -> NodeSecurity?
}

/// What the security data says about one node's current output.
public struct NodeSecurity: Sendable, Equatable {
    /// One advisory that affects a package of the output.
    public struct Advisory: Sendable, Equatable {
        /// `GLSA 202611-01`.
        public var id: String
        public var title: String
        /// `low`, `normal` or `high`.
        public var severity: String
        /// The affected installed package, `cat/pkg-1.2.3`.
        public var package: String
        public init(id: String, title: String, severity: String, package: String) {
            self.id = id; self.title = title; self.severity = severity; self.package = package
        }
    }

    public var packageCount: Int
    public var advisories: [Advisory]
    public init(packageCount: Int, advisories: [Advisory]) {
        self.packageCount = packageCount; self.advisories = advisories
    }
}
