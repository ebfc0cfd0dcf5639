import Foundation

/// A small, valid build directory written into a temporary directory, for
/// tests of any layer that need real config files: a seed, two features
/// (ssh requires base), two stage4 targets (web is seeded from base), a
/// fleet with overrides, a spec template and the trees features name.
/// Tests change one file with `overriding:` to make it invalid or special.
public enum ConfigFixtures {
    public static let cbuildToml = """
        [project]
        name = "fixture"
        default = ["all"]

        [catalyst]
        flavor = 4
        compression = "pixz"

        [snapshots]
        mirrors = ["file:///srv/mirror"]
        keyring = ["keys/test.asc"]

        [seeds.amd64-openrc]
        arch = "amd64"
        variant = "openrc"

        """

    /// Relative path → contents of every file of the minimal directory.
    public static let files: [String: String] = [
        "cbuild.toml": cbuildToml,
        "keys/test.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n",
        "features/base.toml": """
            packages = ["app-admin/sysklogd"]
            services = ["sysklogd|default"]

            """,
        "features/ssh.toml": """
            requires = ["base"]
            packages = ["net-misc/openssh"]
            use = ["-kerberos"]
            services = ["sshd|default"]
            portage = "portage/ssh"
            overlay = "overlays/ssh"
            fsscript = "scripts/ssh.sh"

            """,
        "targets/base.toml": """
            stage = 4
            seed = "seed/amd64-openrc"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            spec = "specs/stage4.spec"
            features = ["base"]

            """,
        "targets/web.toml": """
            stage = 4
            seed = "stage4/base"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            features = ["ssh"]
            packages = ["www-servers/nginx"]
            kernel = { config = "kernel/vm.config", sources = "sys-kernel/gentoo-kernel" }

            """,
        "fleets/canary.toml": """
            members = ["base", "web"]

            [overrides]
            snapshot = "testing"

            """,
        "specs/stage4.spec": "target: stage4\nversion_stamp: @VERSION_STAMP@\nsource_subpath: @SEED@\n",
        "portage/ssh/package.use/ssh": "net-misc/openssh -kerberos\n",
        "overlays/ssh/etc/motd": "hello\n",
        "scripts/ssh.sh": "#!/bin/sh\nrm -f /etc/ssh/ssh_host_*\n",
        "kernel/vm.config": "CONFIG_VIRTIO_BLK=y\n",
    ]

    /// Writes `files`, with `overriding` replacing (or adding) files; a nil
    /// value leaves that file out.
    public static func write(into dir: TemporaryDirectory, overriding: [String: String?] = [:]) throws {
        var all: [String: String?] = files.mapValues { Optional($0) }
        for (path, contents) in overriding { all[path] = contents }
        for (path, contents) in all.sorted(by: { $0.key < $1.key }) {
            if let contents { try dir.write(path, contents) }
        }
    }
}
