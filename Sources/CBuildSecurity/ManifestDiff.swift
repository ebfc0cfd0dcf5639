/// What changed between two manifests of a stage, package by package:
/// added, removed, upgraded, downgraded (by PMS version order), slot
/// changes and USE changes. Packages are paired by `cat/pn` and, when a
/// package is installed in several slots, by slot.
public struct ManifestDiff: Sendable, Codable, Equatable {
    /// One changed package.
    public struct Change: Sendable, Codable, Equatable {
        /// `rebuilt`: same version, but the slot or USE changed.
        public enum Kind: String, Sendable, Codable {
            case added, removed, upgraded, downgraded, rebuilt
        }
        public var kind: Kind
        /// `cat/pn`.
        public var package: String
        public var old: String?
        public var new: String?
        public var oldSlot: String?
        public var newSlot: String?
        public var useAdded: [String]
        public var useRemoved: [String]
        /// The slot changed.
        public var slotChanged: Bool { oldSlot != nil && newSlot != nil && oldSlot != newSlot }
    }

    public var changes: [Change]
    public var unchanged: Int

    public init(old: PackageManifest, new: PackageManifest) {
        var changes: [Change] = []
        var unchanged = 0
        let oldBy = Dictionary(grouping: old.packages, by: \.package.cp)
        let newBy = Dictionary(grouping: new.packages, by: \.package.cp)
        for cp in Set(oldBy.keys).union(newBy.keys).sorted() {
            var before = oldBy[cp] ?? [], after = newBy[cp] ?? []
            var pairs: [(InstalledPackage, InstalledPackage)] = []
            if before.count == 1 && after.count == 1 {
                pairs = [(before[0], after[0])]; before = []; after = []
            } else {
                for b in before {
                    if let i = after.firstIndex(where: { $0.mainSlot == b.mainSlot }) {
                        pairs.append((b, after.remove(at: i)))
                    }
                }
                before.removeAll { b in pairs.contains { $0.0.cpv == b.cpv && $0.0.slot == b.slot } }
            }
            for b in before {
                changes.append(Change(kind: .removed, package: cp, old: b.version.text, new: nil, oldSlot: b.slot,
                                      newSlot: nil, useAdded: [], useRemoved: []))
            }
            for a in after {
                changes.append(Change(kind: .added, package: cp, old: nil, new: a.version.text, oldSlot: nil,
                                      newSlot: a.slot, useAdded: a.use, useRemoved: []))
            }
            for (b, a) in pairs {
                let order = PackageVersion.compare(a.version, b.version)
                let useAdded = Set(a.use).subtracting(b.use).sorted()
                let useRemoved = Set(b.use).subtracting(a.use).sorted()
                let kind: Change.Kind = order > 0 ? .upgraded : order < 0 ? .downgraded : .rebuilt
                if kind == .rebuilt && a.slot == b.slot && useAdded.isEmpty && useRemoved.isEmpty && a.version.text == b.version.text {
                    unchanged += 1
                    continue
                }
                changes.append(Change(kind: kind, package: cp, old: b.version.text, new: a.version.text, oldSlot: b.slot,
                                      newSlot: a.slot, useAdded: useAdded, useRemoved: useRemoved))
            }
        }
        self.changes = changes
        self.unchanged = unchanged
    }
}
