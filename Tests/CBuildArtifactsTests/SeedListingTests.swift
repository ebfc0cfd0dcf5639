import CBuildArtifacts
import Testing

@Suite struct SeedListingTests {
    @Test func theFirstPathLineOfTheSignedTextNamesTheStage() throws {
        let listing = try SeedListing.parse("""
            # Latest as of Tue, 24 Nov 2026 17:00:00 +0000
            # ts=1795539600
            20261124T170000Z/stage3-amd64-openrc-20261124T170000Z.tar.xz 262144000
            """, url: "m/latest.txt")
        #expect(listing == SeedListing(path: "20261124T170000Z/stage3-amd64-openrc-20261124T170000Z.tar.xz", size: 262_144_000, line: 3))
        #expect(listing.baseName == "stage3-amd64-openrc-20261124T170000Z.tar.xz")
    }

    @Test(arguments: ["../x.tar.xz 1", "a/../../x.tar.xz 1", "/abs/x.tar.xz 1", "./x.tar.xz 1", "a\\..\\x 1"])
    func pathsLeavingTheDirectoryAreRefused(line: String) {
        let error = artifactError { _ = try SeedListing.parse("# c\n\(line)\n", url: "m/latest.txt") }
        guard case .unsafeListingPath(url: "m/latest.txt", line: 2, _, _)? = error else {
            Issue.record("\(line): got \(String(describing: error))"); return
        }
        #expect(error?.exitStatus == .usage)
    }

    @Test func aListingWithoutAStageIsMalformed() {
        #expect(artifactError { _ = try SeedListing.parse("# only comments\n", url: "u") }?.exitStatus == .verification)
        #expect(artifactError { _ = try SeedListing.parse("path-without-size\n", url: "u") }?.exitStatus == .verification)
    }
}
