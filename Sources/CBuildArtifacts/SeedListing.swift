import CBuildBasics

/// The signed text of `latest-stage3-<arch>-<variant>.txt`: `#` comments and
/// one `<relative path> <size>` line naming the newest stage, relative to
/// `releases/<arch>/autobuilds/`. A path that is absolute or climbs out with
/// `..` is refused (SPEC 8: exit 2) — the listing may only name files below
/// its own directory.
public struct SeedListing: Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// The path's line in the signed text (1-based).
    public var line: Int

    public init(path: String, size: Int64, line: Int) {
        self.path = path
        self.size = size
        self.line = line
    }

    /// The file name part of `path`.
    public var baseName: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// Parses signed text; `url` names the listing in errors.
    public static func parse(_ text: String, url: String) throws -> SeedListing {
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2, let size = Int64(fields[1]), size >= 0 else {
                throw ArtifactError.malformedListing(url: url, reason: "line \(index + 1) is not '<path> <size>': \(line)")
            }
            let path = fields[0]
            if let violation = PathSafety.lexicalViolation(path) {
                let reason: String
                switch violation {
                case .absolute: reason = "absolute paths are not allowed; it must be relative to its directory"
                case .parentComponent: reason = "'..' would leave the listing's directory"
                default: reason = violation.description
                }
                throw ArtifactError.unsafeListingPath(url: url, line: index + 1, path: path, reason: reason)
            }
            if path.contains("\\") || path.contains("://") || path.split(separator: "/").contains(".") {
                throw ArtifactError.unsafeListingPath(url: url, line: index + 1, path: path,
                                                      reason: "only a plain relative path is allowed")
            }
            return SeedListing(path: path, size: size, line: index + 1)
        }
        throw ArtifactError.malformedListing(url: url, reason: "the signed text names no stage")
    }
}
