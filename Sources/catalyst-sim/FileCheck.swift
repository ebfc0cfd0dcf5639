import Foundation

/// Catalyst's `file_check()` (catalyst/support.py), which finds seeds
/// (`storedir/builds/<source_subpath>`) and, in catalyst 3, snapshots
/// (`storedir/snapshots/portage-<snapshot>`):
/// 1. the path itself, if it is a file (symlinks followed);
/// 2. otherwise every directory entry matching `<path>.*`, minus names
///    ending in `.CONTENTS`, `.CONTENTS.gz`, `.DIGESTS` (and `.sha256` in
///    catalyst 4): exactly one → that one (whatever its extension);
/// 3. more than one → "Ambiguous Filename" (catalyst 3 with
///    `source_matching="loose"` instead takes the first accepted extension);
/// 4. none → "File Not Found".
/// So a seed stored with its `.asc` beside it cannot be named without its
/// extension, and in catalyst 3 neither can a previous stage that has a
/// `.sha256` beside it.
enum FileCheck {
    static func check(_ path: String, extensions: [String], strict: Bool, flavor: Flavor) throws -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
            return path
        }
        var ignored = [".CONTENTS", ".CONTENTS.gz", ".DIGESTS"]
        if flavor == .four { ignored.append(".sha256") }
        let files = glob(path + ".").filter { name in !ignored.contains { name.hasSuffix($0) } }
        if files.count == 1 { return files[0] }
        if files.count > 1, strict || flavor == .four {
            let word = flavor == .four ? "Ambiguous" : "Ambiguos"
            throw SimFailure.catalystError("\(word) Filename: \(path)\nPlease specify the correct extension as well")
        }
        for ext in extensions where files.contains(path + "." + ext) { return path + "." + ext }
        throw SimFailure.catalystError("File Not Found: \(path)")
    }

    /// Entries of `prefix`'s directory whose names start with its last
    /// component — Python's `glob.glob(prefix + "*")` for a prefix without
    /// wildcard characters; sorted, as the order only matters for messages.
    static func glob(_ prefix: String) -> [String] {
        let dir = (prefix as NSString).deletingLastPathComponent
        let base = (prefix as NSString).lastPathComponent
        let listDir = dir.isEmpty ? "." : dir
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: listDir) else { return [] }
        return names.filter { $0.hasPrefix(base) && !$0.hasPrefix(".") }
            .sorted()
            .map { dir.isEmpty ? $0 : dir + "/" + $0 }
    }
}
