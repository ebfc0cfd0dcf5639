import Foundation

/// The file operations catalyst performs on its store (catalyst/fileops.py
/// and support.normpath), done for real on the simulator's storedir.
enum FileOps {
    /// catalyst's `normpath()`: Python's os.path.normpath, but a trailing
    /// slash is kept and a leading `//` becomes `/`.
    static func normpath(_ path: String) -> String {
        guard !path.isEmpty else { return "." }
        let trailing = path.hasSuffix("/")
        let absolute = path.hasPrefix("/")
        var comps: [Substring] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == "..", let last = comps.last, last != ".." { comps.removeLast(); continue }
            if c == "..", absolute { continue }
            comps.append(c)
        }
        var out = (absolute ? "/" : "") + comps.joined(separator: "/")
        if out.isEmpty { out = "." }
        if trailing, out != "/" { out += "/" }
        return out
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func isFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }

    static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) || isSymlink(path) }

    /// `ensure_dirs()`: mkdir -p with mode 0755 regardless of the umask.
    static func ensureDirs(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try ensureDirs(parent, mode: mode) }
        if mkdir(path, mode) != 0, errno != EEXIST {
            throw SimFailure.python(PythonException("OSError", "[Errno \(errno)] \(String(cString: strerror(errno))): '\(path)'"))
        }
        chmod(path, mode)
    }

    /// `clear_dir(remove=False)`: empty a directory (recreate it empty);
    /// with `remove`, delete it.
    static func clearDir(_ path: String, remove: Bool) {
        if isDirectory(path), !isSymlink(path) {
            try? FileManager.default.removeItem(atPath: path)
        } else if exists(path) {
            unlink(path)
        }
        if !remove { try? ensureDirs(path) }
    }

    /// `clear_path()`: remove everything the glob matches.
    static func clearPath(_ pattern: String) {
        for path in globPaths(pattern) {
            if isDirectory(path), !isSymlink(path) {
                try? FileManager.default.removeItem(atPath: path)
            } else {
                unlink(path)
            }
        }
    }

    /// glob(3) without sorting surprises: matches in sorted order.
    static func globPaths(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }

    /// Writes a file with a fixed mode, creating parent directories.
    static func writeFile(_ path: String, _ contents: String, mode: mode_t = 0o644) throws {
        try ensureDirs((path as NSString).deletingLastPathComponent)
        if isSymlink(path) { unlink(path) }
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)) else {
            throw SimFailure.python(PythonException("OSError", "cannot write '\(path)'"))
        }
        chmod(path, mode)
    }

    /// `rsync -a src/ dst/` as catalyst uses it: copy a tree's contents
    /// into a directory, keeping modes and symlinks.
    static func copyContents(of source: String, into destination: String) throws {
        try ensureDirs(destination)
        let r = try ToolRunner.run(["cp", "-a", "--no-preserve=ownership", source + "/.", destination + "/"])
        if r.status != 0 {
            throw SimFailure.catalystError("cmd(['rsync', '-a', '\(source)/', '\(destination)/']) exited \(r.status)")
        }
    }

    /// Regular files and symlinks under `root`, as sorted relative paths.
    static func walk(_ root: String) -> [String] {
        var out: [String] = []
        func visit(_ rel: String) {
            let full = rel.isEmpty ? root : root + "/" + rel
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
            for name in names.sorted() {
                let childRel = rel.isEmpty ? name : rel + "/" + name
                let childFull = root + "/" + childRel
                if isSymlink(childFull) { out.append(childRel) }
                else if isDirectory(childFull) { visit(childRel) }
                else { out.append(childRel) }
            }
        }
        visit("")
        return out
    }
}

