import CBuildBasics

/// Compares a file's size and digests with its cbuild.lock entry: a shorter
/// file is "truncated", any other difference a lock mismatch (exit 3).
enum LockCheck {
    static func checkSize(_ size: Int64, against entry: LockFile.Entry) throws {
        if size < entry.size {
            throw ArtifactError.verificationFailed(file: entry.file, reason: .truncated(expected: entry.size, actual: size))
        }
        if size > entry.size {
            throw ArtifactError.verificationFailed(file: entry.file, reason: .sizeMismatch(expected: entry.size, actual: size))
        }
    }

    static func check(_ file: (size: Int64, digests: [Digest]), against entry: LockFile.Entry) throws {
        try checkSize(file.size, against: entry)
        for want in entry.digests {
            guard let have = file.digests.first(where: { $0.algorithm == want.algorithm }) else { continue }
            if have != want {
                throw ArtifactError.lockMismatch(
                    file: entry.file,
                    detail: "\(want.algorithm.rawValue.uppercased()) is \(have.shortHex(16))…, the lock says \(want.shortHex(16))…")
            }
        }
    }
}
