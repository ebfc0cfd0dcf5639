import CBuildBasics

/// The digests a signed list publishes per file name, in Gentoo's formats:
/// `md5sum`/`sha512sum` output (`<hex>  <name>`) and catalyst's `.DIGESTS`
/// (a `# SHA512 HASH` or `# BLAKE2B HASH` line, then `<hex>  <name>` lines).
/// Parse only signed text: callers pass what gpgv returned.
public struct DigestList: Sendable, Equatable {
    /// File base name → algorithm → every digest the list gives for it.
    public private(set) var entries: [String: [Digest.Algorithm: [Digest]]] = [:]

    public init() {}

    /// `<hex>  <name>` or `<hex> *<name>` lines of one algorithm; `#` comments ignored.
    public static func parseSums(_ text: String, algorithm: Digest.Algorithm) -> DigestList {
        var list = DigestList()
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") { continue }
            if let (digest, name) = entry(line, algorithm: algorithm) { list.add(name, digest) }
        }
        return list
    }

    /// Catalyst's `.DIGESTS`: the algorithm of each `<hex>  <name>` line is
    /// the one named by the last `# <ALGO> HASH` header above it.
    public static func parseDIGESTS(_ text: String) -> DigestList {
        var list = DigestList()
        var current: Digest.Algorithm?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") {
                let words = trimmed.dropFirst().split(separator: " ")
                if words.count == 2, words[1].uppercased() == "HASH" {
                    switch words[0].uppercased() {
                    case "SHA512": current = .sha512
                    case "BLAKE2B": current = .blake2b512
                    case "SHA256": current = .sha256
                    case "MD5": current = .md5
                    default: current = nil // WHIRLPOOL, SHA1, …: not checked
                    }
                }
                continue
            }
            if let alg = current, let (digest, name) = entry(Substring(trimmed), algorithm: alg) { list.add(name, digest) }
        }
        return list
    }

    private static func entry(_ line: Substring, algorithm: Digest.Algorithm) -> (Digest, String)? {
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, let digest = Digest(algorithm: algorithm, hex: String(parts[0])) else { return nil }
        var name = parts[1].trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("*") { name.removeFirst() }
        // A list may name "./file" or "dir/file"; the file's base name is what is matched.
        if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        guard !name.isEmpty else { return nil }
        return (digest, name)
    }

    private mutating func add(_ name: String, _ digest: Digest) {
        entries[name, default: [:]][digest.algorithm, default: []].append(digest)
    }

    /// The digests listed for `name` and `algorithm` (empty when not listed).
    public func digests(for name: String, _ algorithm: Digest.Algorithm) -> [Digest] {
        entries[name]?[algorithm] ?? []
    }

    public func lists(_ name: String) -> Bool { entries[name] != nil }

    /// Checks that the list names `name` with every algorithm in `required`
    /// and that every listed digest of those algorithms equals `actual`'s.
    /// `display` names the list in errors.
    public func check(_ name: String, actual: [Digest], required: [Digest.Algorithm], display: String) throws {
        for alg in required {
            let listed = digests(for: name, alg)
            guard !listed.isEmpty else {
                throw ArtifactError.verificationFailed(
                    file: name, reason: .digestMissing("\(display) lists no \(alg.rawValue.uppercased()) digest for \(name)"))
            }
            guard let have = actual.first(where: { $0.algorithm == alg }) else {
                fatalError("digest \(alg) was not computed")
            }
            for want in listed where want != have {
                throw ArtifactError.verificationFailed(
                    file: name, reason: .digestMismatch(algorithm: alg, expected: want.hex, actual: have.hex))
            }
        }
    }
}
