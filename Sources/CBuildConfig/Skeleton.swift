import Foundation

/// The starting build directory `cbuild init` writes into an empty
/// directory: a cbuild.toml with one seed, one stage4 target, one feature,
/// one spec template, keys/README.md and a .gitignore for the uncommitted
/// parts. It loads and validates as written.
public enum Skeleton {
    /// Writes the skeleton into `dir` (created if missing) and returns the
    /// files written, relative to `dir`. A directory holding anything but
    /// `.git` is refused with `ConfigError.directoryNotEmpty`.
    @discardableResult
    public static func write(into dir: String) throws -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ConfigError.cannotWrite(path: dir, reason: "it is not a directory") }
            let entries = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
            guard entries.allSatisfy({ $0 == ".git" }) else { throw ConfigError.directoryNotEmpty(path: dir) }
        }
        let name = projectName(for: dir)
        var written: [String] = []
        for (relative, contents) in files(projectName: name) {
            let full = dir + "/" + relative
            do {
                try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                       withIntermediateDirectories: true)
                try contents.write(toFile: full, atomically: true, encoding: .utf8)
            } catch {
                throw ConfigError.cannotWrite(path: full, reason: error.localizedDescription)
            }
            written.append(relative)
        }
        return written
    }

    /// The directory's name made into a project name (`my fleet` → `my-fleet`).
    static func projectName(for dir: String) -> String {
        let base = ((dir as NSString).standardizingPath as NSString).lastPathComponent
        let cleaned = String(String.UnicodeScalarView(base.unicodeScalars.map {
            NameRules.isLetterOrDigit($0) || "._-".unicodeScalars.contains($0) ? $0 : "-"
        }))
        return cleaned.isEmpty || cleaned == "/" ? "cbuild-project" : cleaned
    }

    static func files(projectName: String) -> [(String, String)] {
        [
            ("cbuild.toml", """
            # cbuild build directory. Every key is described in cbuild's docs/config.md.

            [project]
            name = "\(projectName)"
            default = ["all"]                 # what a bare `cbuild` builds

            [catalyst]
            flavor = 4                        # catalyst 4: squashfs snapshots, TOML catalyst.conf
            command = ["catalyst"]            # e.g. ["sudo", "catalyst"]
            options = ["pkgcache", "kerncache", "seedcache"]
            digests = ["blake2b", "sha512"]
            compression = "pixz"
            jobs = 1

            [snapshots]
            mirrors = ["https://distfiles.gentoo.org"]
            # keyring = ["keys/gentoo-release.asc"]   # default: every keys/*.asc
            max_age_days = 3

            [seeds.amd64-openrc]
            arch = "amd64"
            variant = "openrc"

            """),
            ("targets/example.toml", """
            # The node stage4/example: a small OpenRC system built on the amd64 seed.
            description = "Example stage4"
            stage = 4
            seed = "seed/amd64-openrc"
            snapshot = "stable"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            spec = "specs/stage4.spec"
            features = ["base"]
            packages = ["app-editors/vim"]

            """),
            ("features/base.toml", """
            # Everything every machine gets.
            description = "Logging, cron and time keeping"
            packages = ["app-admin/sysklogd", "sys-process/cronie", "net-misc/chrony"]
            services = ["sysklogd|default", "cronie|default", "chronyd|default"]

            """),
            ("specs/stage4.spec", """
            # catalyst stage4 spec template. cbuild replaces the @TOKENS@ and adds
            # the target's own keys (subarch, profile, stage4/packages, stage4/use,
            # stage4/rcadd, portage_confdir, stage4/root_overlay, stage4/fsscript,
            # boot/kernel/…, [spec_extra]).
            target: stage4
            rel_type: default
            version_stamp: @VERSION_STAMP@
            snapshot_treeish: @TREEISH@
            source_subpath: @SEED@

            stage4/empty:
            \t/var/cache/distfiles
            \t/var/tmp

            stage4/rm:
            \t/etc/ssh/ssh_host_*
            \t/root/.bash_history

            """),
            ("keys/README.md", """
            # keys/

            OpenPGP public keys that verify downloaded snapshots and seeds. Commit them.

            Without a `keyring` in `[snapshots]`, cbuild uses every `keys/*.asc` here.
            Put Gentoo's release key here as `keys/gentoo-release.asc` (on a Gentoo host
            it is `/usr/share/openpgp-keys/gentoo-release.asc`, from
            `sec-keys/openpgp-keys-gentoo-release`; cbuild also uses that file when it
            exists). Check its fingerprint against https://www.gentoo.org/downloads/signatures/
            before committing it.

            """),
            (".gitignore", """
            artifacts/
            .cache/

            """),
        ]
    }
}
