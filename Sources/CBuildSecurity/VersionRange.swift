/// One `<vulnerable>` or `<unaffected>` element of a GLSA: a range operator,
/// a version and an optional slot, applied to an installed package exactly
/// as portage's `glsa.py` applies it (`makeAtom` + `dbapi.match`):
/// `lt le eq ge gt` compare whole versions with `vercmp` (`eq` is
/// `vercmp == 0`, so `1.0` equals `1.0-r0`); `rlt rle rge rgt` hold the
/// version without its revision fixed (string-equal, like a `~` atom) and
/// compare the revisions only. A slot other than empty or `*` must equal
/// the installed slot (and sub-slot, when the range names one).
public struct VersionRange: Sendable, Codable, Equatable, CustomStringConvertible {
    /// GLSA range attribute values.
    public enum Operator: String, Sendable, Codable, CaseIterable {
        case lt, le, eq, ge, gt, rlt, rle, rge, rgt

        /// The atom operator portage builds from it.
        public var symbol: String {
            switch self {
            case .lt: return "<"
            case .le: return "<="
            case .eq: return "="
            case .ge: return ">="
            case .gt: return ">"
            case .rlt: return "<~"
            case .rle: return "<=~"
            case .rge: return ">=~"
            case .rgt: return ">~"
            }
        }

        var isRevisionOnly: Bool { [.rlt, .rle, .rge, .rgt].contains(self) }

        func accepts(_ order: Int) -> Bool {
            switch self {
            case .lt, .rlt: return order < 0
            case .le, .rle: return order <= 0
            case .eq: return order == 0
            case .ge, .rge: return order >= 0
            case .gt, .rgt: return order > 0
            }
        }
    }

    public var op: Operator
    public var version: PackageVersion
    /// nil for no slot or `*`.
    public var slot: String?

    public init(op: Operator, version: PackageVersion, slot: String? = nil) {
        self.op = op; self.version = version
        self.slot = (slot == "*" || slot?.isEmpty == true) ? nil : slot
    }

    /// `>=3.0.13` or `<2.4:2`.
    public var description: String { op.symbol + version.text + (slot.map { ":" + $0 } ?? "") }

    /// Whether an installed version (in `installedSlot`, `SLOT[/SUBSLOT]`) lies in the range.
    public func contains(_ installed: PackageVersion, slot installedSlot: String) -> Bool {
        if let slot {
            let want = slot.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let have = installedSlot.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard want.first == have.first else { return false }
            if want.count == 2 {
                // An installed SLOT without a sub-slot has sub-slot = slot.
                let sub = have.count == 2 ? have[1] : have[0]
                guard want[1] == sub else { return false }
            }
        }
        if op.isRevisionOnly {
            guard installed.withoutRevision == version.withoutRevision else { return false }
            return op.accepts(PackageVersion.compareRevisions(installed, version))
        }
        return op.accepts(PackageVersion.compare(installed, version))
    }
}
