import CBuildArtifacts
import Foundation
import Testing

@Suite struct ArtifactIdentTests {
    @Test func candidatesStartYesterdayInUTCAndNeverToday() {
        // 2026-03-01T00:30Z: yesterday is the 28th of February (not a leap year).
        let now = Date(timeIntervalSince1970: 1_772_325_000)
        #expect(ArtifactIdent.candidateDates(now: now, maxAgeDays: 3) == ["20260228", "20260227", "20260226"])
        #expect(ArtifactIdent.candidateDates(now: now, maxAgeDays: 0) == ["20260228"])
    }

    @Test func datesAndStampsAreChecked() {
        #expect(ArtifactIdent.isSnapshotDate("20261124"))
        #expect(!ArtifactIdent.isSnapshotDate("20261131"))
        #expect(!ArtifactIdent.isSnapshotDate("latest"))
        #expect(ArtifactIdent.isReleaseStamp("20261124T170000Z"))
        #expect(!ArtifactIdent.isReleaseStamp("20261124T1700Z"))
    }

    @Test func rolesCannotLookLikeDatesOrPaths() {
        #expect(RoleName.isValid("stable") && RoleName.isValid("qa-2"))
        for bad in ["20261124", "Stable", "a/b", "..", "a.b", "", "-x"] { #expect(!RoleName.isValid(bad), "\(bad)") }
    }
}
