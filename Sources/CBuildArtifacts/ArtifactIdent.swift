import Foundation

/// The identifiers of dated artifacts: snapshot dates (`20261124`) and stage
/// release stamps (`20261124T170000Z`). Both sort by time as plain strings,
/// which is how "older" and "newer" are decided for roles.
public enum ArtifactIdent {
    /// `YYYYMMDD` naming a real calendar day.
    public static func isSnapshotDate(_ text: String) -> Bool {
        guard text.count == 8, text.allSatisfy(\.isASCIIDigit) else { return false }
        return date(text) != nil
    }

    /// `YYYYMMDD` or `YYYYMMDDTHHMMSSZ`, as Gentoo's autobuilds name releases.
    public static func isReleaseStamp(_ text: String) -> Bool {
        if isSnapshotDate(text) { return true }
        let chars = Array(text)
        guard chars.count == 16, chars[8] == "T", chars[15] == "Z" else { return false }
        return isSnapshotDate(String(chars[0..<8])) && chars[9..<15].allSatisfy(\.isASCIIDigit)
    }

    /// today-1, today-2, … today-`maxAgeDays` (UTC) as `YYYYMMDD`, newest
    /// first. Never today itself: Gentoo publishes a day's snapshot after it ends.
    public static func candidateDates(now: Date, maxAgeDays: Int) -> [String] {
        (1...max(1, maxAgeDays)).map { format(now.addingTimeInterval(-Double($0) * 86_400)) }
    }

    static func format(_ date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
    }

    public static func date(_ text: String) -> Date? {
        guard text.count == 8, let y = Int(text.prefix(4)), let m = Int(text.dropFirst(4).prefix(2)),
              let d = Int(text.suffix(2)) else { return nil }
        let comps = DateComponents(year: y, month: m, day: d)
        guard let date = utc.date(from: comps) else { return nil }
        let back = utc.dateComponents([.year, .month, .day], from: date)
        return back.year == y && back.month == m && back.day == d ? date : nil
    }

    private static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()
}

/// ASCII digits only: `isNumber` would accept other scripts' digits.
extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
