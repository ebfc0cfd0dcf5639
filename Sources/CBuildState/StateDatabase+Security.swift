import Foundation
import GRDB

/// Operations on the security facts: manifests by tarball digest, advisories
/// by snapshot digest. Each is one statement; rows are replaced, never edited.
extension StateDatabase {
    public func packageManifest(outputSHA256: String, reader: Int) throws -> PackageManifestRecord? {
        try read { db in
            try PackageManifestRecord.fetchOne(db, key: ["output_sha256": outputSHA256, "reader": reader])
        }
    }

    public func recordPackageManifest(_ record: PackageManifestRecord) throws {
        try write { db in try record.insert(db, onConflict: .replace) }
    }

    public func snapshotAdvisories(snapshotSHA256: String, reader: Int) throws -> SnapshotAdvisoriesRecord? {
        try read { db in
            try SnapshotAdvisoriesRecord.fetchOne(db, key: ["snapshot_sha256": snapshotSHA256, "reader": reader])
        }
    }

    public func recordSnapshotAdvisories(_ record: SnapshotAdvisoriesRecord) throws {
        try write { db in try record.insert(db, onConflict: .replace) }
    }
}
