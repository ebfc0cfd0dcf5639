/// Which spec keys a target requires and accepts, and its action sequence,
/// per flavour — from catalyst/base/stagebase.py and catalyst/targets/stage1.py …
/// stage4.py of catalyst 4.1.1 and 3.0.22. `addl_arg_parse()` (support.py)
/// rejects every key outside these sets with `Argument "k" not recognized.`
/// and every missing required key with `Required argument "k" not specified.`
struct TargetRules: Sendable {
    var target: String
    var required: [String]
    var valid: Set<String>

    /// Catalyst's target modules; only stage1–stage4 are simulated.
    static let catalystTargets4: Set<String> = [
        "embedded", "livecd_stage1", "livecd_stage2", "netboot", "snapshot", "stage1", "stage2", "stage3", "stage4",
    ]
    static let catalystTargets3: Set<String> = [
        "embedded", "livecd_stage1", "livecd_stage2", "netboot", "netboot2", "snapshot", "stage1", "stage2",
        "stage3", "stage4", "tinderbox", "grp",
    ]
    static let simulatedTargets: Set<String> = ["stage1", "stage2", "stage3", "stage4"]

    private static let base4Required = ["profile", "rel_type", "snapshot_treeish", "source_subpath", "subarch", "target", "version_stamp"]
    private static let base4Valid = [
        "asflags", "binrepo_path", "catalyst_use", "cbuild", "cflags", "common_flags", "compression_mode",
        "cxxflags", "decompressor_search_order", "fcflags", "fflags", "hostuse", "install_mask", "interpreter",
        "keep_repos", "kerncache_path", "ldflags", "pkgcache_path", "portage_confdir", "repos", "portage_prefix",
    ]
    private static let base3Required = ["version_stamp", "target", "subarch", "rel_type", "profile", "snapshot", "source_subpath"]
    private static let base3Valid = [
        "portage_confdir", "portage_prefix", "portage_overlay", "cflags", "cxxflags", "fcflags", "fflags",
        "ldflags", "asflags", "common_flags", "cbuild", "hostuse", "catalyst_use", "distcc_hosts", "makeopts",
        "pkgcache_path", "kerncache_path", "compression_mode", "decompression_mode", "interpreter",
    ]
    private static let kernel4 = [
        "aliases", "config", "console", "distkernel", "dracut_args", "extraversion", "gk_action",
        "gk_kernargs", "initramfs_overlay", "packages", "softlevel", "sources", "use",
    ]
    private static let kernel3 = [
        "aliases", "config", "console", "extraversion", "gk_action", "gk_kernargs", "initramfs_overlay",
        "machine_type", "sources", "softlevel", "use", "packages", "kernelopts",
    ]

    /// The rules for a stage target; `spec` supplies the `boot/kernel` names
    /// whose `boot/kernel/<name>/*` keys become valid.
    init(target: String, flavor: Flavor, spec: PyDict) {
        self.target = target
        var required: [String] = []
        var valid: [String] = []
        switch (flavor, target) {
        case (.four, "stage1"): valid = ["chost", "update_seed", "update_seed_command"]
        case (.four, "stage2"): valid = ["chost"]
        case (.four, "stage4"):
            required = ["stage4/packages"]
            valid = ["boot/kernel", "repos", "stage4/empty", "stage4/fsscript", "stage4/gk_mainargs", "stage4/groups",
                     "stage4/linuxrc", "stage4/rcadd", "stage4/rcdel", "stage4/rm", "stage4/root_overlay",
                     "stage4/ssh_public_keys", "stage4/unmerge", "stage4/use", "stage4/users"]
        case (.three, "stage1"): valid = ["chost", "update_seed", "update_seed_command"]
        case (.three, "stage2"): valid = ["chost"]
        case (.three, "stage4"):
            required = ["stage4/packages"]
            valid = ["stage4/use", "boot/kernel", "stage4/root_overlay", "stage4/fsscript", "stage4/gk_mainargs",
                     "splash_theme", "portage_overlay", "stage4/rcadd", "stage4/rcdel", "stage4/linuxrc",
                     "stage4/unmerge", "stage4/rm", "stage4/empty"]
        default: break
        }
        // set_valid_build_kernel_vars() runs before addl_arg_parse().
        if let kernels = spec["boot/kernel"] {
            for name in kernels.asList {
                for k in flavor == .four ? TargetRules.kernel4 : TargetRules.kernel3 {
                    valid.append("boot/kernel/\(name)/\(k)")
                }
            }
        }
        switch flavor {
        case .four:
            // Catalyst 4 keeps these in frozensets: the order of its
            // "Required argument" messages varies; the simulator sorts them.
            self.required = Array(Set(required + TargetRules.base4Required)).sorted()
            self.valid = Set(valid + required + TargetRules.base4Required + TargetRules.base4Valid)
        case .three:
            self.required = required + TargetRules.base3Required
            self.valid = Set(valid + required + TargetRules.base3Required + TargetRules.base3Valid + CatalystConfig.valid3)
        }
    }

    /// `addl_arg_parse()`: the error text, or nil when the spec is acceptable.
    func check(_ spec: PyDict) -> String? {
        var messages: [String] = []
        for key in spec.keys where !valid.contains(key) {
            messages.append("Argument \"\(key)\" not recognized.")
        }
        for key in required where !spec.contains(key) {
            messages.append("Required argument \"\(key)\" not specified.")
        }
        return messages.isEmpty ? nil : messages.joined(separator: "\n\tAlso: ")
    }

    /// The names of the action sequence, in order (set_action_sequence() and
    /// set_completion_action_sequences()). Catalyst 4 runs them as three
    /// sequences (prepare, build inside a mount namespace, finish); the
    /// names and order are what its NOTICE lines show.
    static func actionSequence(target: String, flavor: Flavor, options: Set<String>) -> [String] {
        var seq: [String]
        switch flavor {
        case .four:
            let prepare = ["unpack", "config_profile_link", "setup_confdir", "process_repos"]
            // purgeonly replaces the whole build sequence and adds no finish sequence.
            if options.contains("purgeonly") { return prepare + ["remove_chroot"] }
            seq = prepare + ["bind", "chroot_setup", "setup_environment"]
            if options.contains("enter-chroot") { seq.append("enter_chroot") }
            if target == "stage4" {
                seq += ["build_packages", "build_kernel", "bootloader", "root_overlay", "fsscript", "preclean",
                        "rcupdate", "unmerge", "remove", "groups", "users", "ssh_public_keys", "empty", "clean"]
            } else {
                seq += ["run_local", "preclean", "clean"]
            }
        case .three:
            if options.contains("purgeonly") { return ["remove_chroot"] }
            if target == "stage4" {
                seq = ["unpack", "unpack_snapshot", "config_profile_link", "setup_confdir", "portage_overlay", "bind",
                       "chroot_setup", "setup_environment", "build_packages", "build_kernel", "bootloader",
                       "root_overlay", "fsscript", "preclean", "rcupdate", "unmerge", "unbind", "remove", "empty", "clean"]
            } else {
                seq = ["unpack", "unpack_snapshot", "setup_confdir", "portage_overlay", "base_dirs", "bind",
                       "chroot_setup", "setup_environment", "run_local", "preclean", "unbind", "clean"]
            }
        }
        if !options.contains("fetch") { seq.append("capture") }
        if options.contains("keepwork") {
            seq.append("clear_autoresume")
        } else if options.contains("seedcache") {
            seq.append("remove_autoresume")
            if target == "stage1" { seq.append("clean_stage1") }
        } else {
            seq += ["remove_autoresume", "remove_chroot"]
        }
        return seq
    }
}
