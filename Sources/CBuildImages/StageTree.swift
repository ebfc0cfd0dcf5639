import Foundation

/// An unpacked stage4 seen as the root of the image: paths are resolved
/// the way the booted system would see them (an absolute symlink starts
/// again at the tree's root), one component at a time with `lstat`, so a
/// symlink can never reach the builder's own files, a `..` can never climb
/// above the root, and a boot file must end up as a regular file inside the
/// directory it is allowed to come from (`/etc/shadow` is never copied to
/// the readable ESP as a "kernel").
public struct StageTree: Sendable {
    /// The unpacked tree on the host.
    public let root: String

    public init(root: String) { self.root = root }

    /// The host path of an image path that `resolve` returned.
    public func hostPath(_ imagePath: String) -> String { root + imagePath }

    /// Resolves `path` (absolute, in the image) to the image path of a
    /// regular file under one of `allowed`. `role` names it in errors.
    public func resolve(_ path: String, role: String, allowed: [String]) throws -> String {
        var resolved: [String] = []           // components of the real directory reached so far
        var pending = Self.components(path)
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                guard !resolved.isEmpty else {
                    throw ImageError.unsafeBootPath(role: role, path: path, problem: "it climbs above the stage4's root with '..'")
                }
                resolved.removeLast()
                continue
            }
            let candidate = resolved + [part]
            let host = root + "/" + candidate.joined(separator: "/")
            var st = stat()
            guard lstat(host, &st) == 0 else {
                throw ImageError.bootFileMissing(role: role, searched: [path])
            }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                hops += 1
                guard hops <= 40 else {
                    throw ImageError.unsafeBootPath(role: role, path: path, problem: "too many levels of symbolic links")
                }
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: host) else {
                    throw ImageError.unsafeBootPath(role: role, path: path, problem: "an unreadable symlink")
                }
                if target.hasPrefix("/") { resolved = [] }
                pending = Self.components(target) + pending
                continue
            }
            if !pending.isEmpty && (st.st_mode & S_IFMT) != S_IFDIR {
                throw ImageError.bootFileMissing(role: role, searched: [path])
            }
            resolved = candidate
        }
        let final = "/" + resolved.joined(separator: "/")
        var st = stat()
        guard lstat(root + final, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ImageError.unsafeBootPath(role: role, path: path, problem: "\(final) is not a regular file")
        }
        guard allowed.contains(where: { final.hasPrefix($0 + "/") }) else {
            throw ImageError.unsafeBootPath(role: role, path: path,
                                            problem: "it resolves to \(final), outside \(allowed.joined(separator: " and "))")
        }
        return final
    }

    /// Names in an image directory (not following a final symlink), sorted; [] when absent.
    public func list(_ directory: String) -> [String] {
        var st = stat()
        guard lstat(root + directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: root + directory)) ?? []).sorted()
    }

    public func exists(_ imagePath: String) -> Bool {
        var st = stat()
        return lstat(root + imagePath, &st) == 0
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
