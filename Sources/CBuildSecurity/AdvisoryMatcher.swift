/// Decides which installed packages an advisory affects, as portage's
/// `Glsa.isVulnerable` does: for each `<package>` entry whose `arch` is `*`
/// or lists the stage's keyword, an installed version of that package is
/// affected when it lies in a `vulnerable` range and in no `unaffected`
/// range of the same entry.
public enum AdvisoryMatcher {
    /// One affected installed package and the advisory entry it matched.
    public struct Match: Sendable, Equatable {
        public var installed: InstalledPackage
        public var entry: Advisory.AffectedPackage
    }

    public static func matches(_ advisory: Advisory, installed: [InstalledPackage], arch: String) -> [Match] {
        var out: [Match] = []
        for entry in advisory.packages where entry.applies(toArch: arch) {
            for p in installed where p.package == entry.package && isAffected(p, by: entry) {
                if !out.contains(where: { $0.installed.cpv == p.cpv && $0.installed.slot == p.slot }) {
                    out.append(Match(installed: p, entry: entry))
                }
            }
        }
        return out
    }

    /// In a vulnerable range and in no unaffected range.
    public static func isAffected(_ p: InstalledPackage, by entry: Advisory.AffectedPackage) -> Bool {
        entry.vulnerable.contains { $0.contains(p.version, slot: p.slot) }
            && !entry.unaffected.contains { $0.contains(p.version, slot: p.slot) }
    }

    /// The lowest version a tree offers above `installed` that an unaffected
    /// range of the entry holds (portage's `getMinUpgrade`, least change;
    /// the tree's slot is taken to be the installed one, keywords and masks
    /// are not consulted). nil: the tree offers no fix.
    public static func minimalUpgrade(for installed: InstalledPackage, entry: Advisory.AffectedPackage,
                                      offered: [PackageVersion]) -> PackageVersion? {
        offered.filter { v in
            v > installed.version && entry.unaffected.contains { $0.contains(v, slot: installed.slot) }
        }.min()
    }
}
