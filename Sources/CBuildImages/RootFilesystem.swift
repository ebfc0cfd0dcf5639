import CBuildBasics
import Foundation

/// The root filesystem of an image, made rootless from an unpacked stage4:
/// `mkfs.ext4 -d` copies the tree (contents, modes, symlinks, hard links);
/// `Ext4InodeStamper` pins owners and times; one `debugfs` script then
/// applies what the unpacking user could not: owners other than root,
/// modes the host would not keep, device nodes, and the archive's xattrs.
/// Everything `mkfs.ext4` would pick at random or from the clock (UUID,
/// hash seed, times) comes from the node key and the epoch, and its
/// feature set from cbuild's own `mke2fs.conf`, not the builder's.
struct RootFilesystem {
    let tree: StageTree
    let manifest: StageManifest
    let identity: DerivedIdentity
    let epoch: Int64
    let tools: ToolRunner
    /// Scratch directory for the config and the debugfs script.
    let scratch: String

    /// ext4 as Debian 12 and Gentoo create it by default (no orphan_file or
    /// metadata_csum_seed, so older GRUB and kernels read it).
    static let mke2fsConf = """
        [defaults]
        \tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
        \tdefault_mntopts = acl,user_xattr
        \tenable_periodic_fsck = 0
        \tblocksize = 4096
        \tinode_size = 256
        \tinode_ratio = 16384
        \treserved_ratio = 5.0
        \tlazy_itable_init = true
        \tlazy_journal_init = true

        [fs_types]
        \text4 = {
        \t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
        \t}

        """

    var environment: [String: String] {
        ["E2FSPROGS_FAKE_TIME": String(epoch), "MKE2FS_CONFIG": scratch + "/mke2fs.conf", "SOURCE_DATE_EPOCH": String(epoch)]
    }

    /// Writes the filesystem into `disk` at `offset` (the root partition,
    /// `size` bytes), in place: no second copy of the filesystem is made.
    func make(disk: String, offset: Int64, size: Int64) throws {
        try Self.mke2fsConf.write(toFile: scratch + "/mke2fs.conf", atomically: true, encoding: .utf8)
        var started = Date()
        let fixups = try prepareTree()
        tools.note(String(format: "# tree prepared in %.2f s", Date().timeIntervalSince(started)))
        let t = tools.with(environment)
        // e2fsprogs' unix I/O takes the partition's offset as an option of the file name.
        let device = "\(disk)?offset=\(offset)"
        try t.run(["mkfs.ext4", "-q", "-F", "-T", "default", "-b", "4096", "-I", "256", "-L", "root",
                   "-U", identity.rootFilesystemUUID,
                   "-E", "offset=\(offset),hash_seed=\(identity.rootHashSeed),root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1,nodiscard",
                   "-d", tree.root, disk, "\(size / 1024)k"])
        started = Date()
        let stamped = try Ext4InodeStamper(path: disk, epoch: UInt32(clamping: epoch), offset: offset).run()
        tools.note(String(format: "# %d inodes stamped in %.2f s", stamped, Date().timeIntervalSince(started)))
        if !fixups.isEmpty {
            let script = scratch + "/debugfs.cmd"
            try (fixups.joined(separator: "\n") + "\n").write(toFile: script, atomically: true, encoding: .utf8)
            tools.note("# debugfs: \(fixups.count) commands (owners, modes, device nodes, xattrs)")
            let r = try t.capture(["debugfs", "-w", "-f", script, device])
            let errors = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("debugfs ") }
            guard r.status == 0, errors.isEmpty else {
                throw ImageError.toolFailed(command: "debugfs", status: r.status, output: errors.prefix(20).joined(separator: "\n"))
            }
        }
        let check = try t.run(["e2fsck", "-f", "-n", device], allowFailure: true)
        guard check.status == 0 else {
            throw ImageError.verificationFailed(path: "the root filesystem", problem: "e2fsck found errors:\n" + check.lines.suffix(10).joined(separator: "\n"))
        }
    }

    /// Makes every unpacked file readable for `mkfs.ext4` and returns the
    /// `debugfs` commands that give each inode what the archive says.
    func prepareTree() throws -> [String] {
        var commands: [String] = []
        for e in manifest.entries where e.kind != .hardLink {
            let host = tree.root + (e.path.isEmpty ? "" : "/" + e.path)
            let mtime = min(e.mtime, epoch)
            if e.needsPrivilege {
                let parent = (e.imagePath as NSString).deletingLastPathComponent
                let name = (e.imagePath as NSString).lastPathComponent
                commands.append("cd \(try Self.quote(parent, e))")
                commands.append("mknod \(try Self.quote(name, e)) \(e.kind == .characterDevice ? "c" : "b") \(e.deviceMajor) \(e.deviceMinor)")
                let type: UInt32 = e.kind == .characterDevice ? 0o020000 : 0o060000
                commands += try setters(e, mode: type | e.mode, mtime: mtime)
                commands += try xattrCommands(e, serial: commands.count)
                continue
            }
            var st = stat()
            guard lstat(host, &st) == 0 else {
                throw ImageError.badArchiveEntry(path: e.path, problem: "tar did not create it")
            }
            let type = UInt32(st.st_mode) & UInt32(S_IFMT)
            if type == UInt32(S_IFLNK) {
                if e.uid != 0 || e.gid != 0 { commands += try owner(e) }
                if min(Int64(st.st_mtim.tv_sec), epoch) != mtime { commands.append("sif \(try Self.quote(e.imagePath, e)) mtime @\(mtime)") }
                continue
            }
            // mkfs.ext4 must read every file and directory.
            let need: UInt32 = type == UInt32(S_IFDIR) ? 0o500 : (type == UInt32(S_IFREG) ? 0o400 : 0)
            var hostPerm = UInt32(st.st_mode) & 0o7777
            if hostPerm & need != need {
                hostPerm |= need
                guard chmod(host, mode_t(hostPerm)) == 0 else { throw BasicsError.io(path: host, operation: "chmod", errno: errno) }
            }
            let isRoot = e.path.isEmpty   // mkfs.ext4 makes the root directory itself (0755, epoch)
            if isRoot {
                commands += try setters(e, mode: UInt32(S_IFDIR) | e.mode, mtime: mtime)
            } else {
                if hostPerm != e.mode { commands.append("sif \(try Self.quote(e.imagePath, e)) mode 0\(String(type | e.mode, radix: 8))") }
                if e.uid != 0 || e.gid != 0 { commands += try owner(e) }
                if min(Int64(st.st_mtim.tv_sec), epoch) != mtime {
                    commands.append("sif \(try Self.quote(e.imagePath, e)) mtime @\(mtime)")
                }
            }
            commands += try xattrCommands(e, serial: commands.count)
        }
        return commands
    }

    private func owner(_ e: ArchiveEntry) throws -> [String] {
        let p = try Self.quote(e.imagePath, e)
        return ["sif \(p) uid \(e.uid)", "sif \(p) gid \(e.gid)"]
    }

    private func setters(_ e: ArchiveEntry, mode: UInt32, mtime: Int64) throws -> [String] {
        let p = try Self.quote(e.imagePath, e)
        return ["sif \(p) mode 0\(String(mode, radix: 8))", "sif \(p) uid \(e.uid)", "sif \(p) gid \(e.gid)",
                "sif \(p) mtime @\(mtime)"]
    }

    private func xattrCommands(_ e: ArchiveEntry, serial: Int) throws -> [String] {
        var out: [String] = []
        for (i, x) in e.xattrs.enumerated() {
            let valueFile = scratch + "/xattr-\(serial)-\(i)"
            guard FileManager.default.createFile(atPath: valueFile, contents: Data(x.value)) else {
                throw BasicsError.io(path: valueFile, operation: "write", errno: errno)
            }
            out.append("ea_set -f \(try Self.quote(valueFile, e)) \(try Self.quote(e.imagePath, e)) \(try Self.quote(x.name, e))")
        }
        return out
    }

    /// A debugfs argument: double-quoted, `"` doubled; a line break cannot be carried.
    static func quote(_ s: String, _ e: ArchiveEntry) throws -> String {
        guard !s.contains("\n"), !s.contains("\r") else {
            throw ImageError.badArchiveEntry(path: e.path, problem: "a name with a line break cannot be given owner, mode or xattrs in the image")
        }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
