import Foundation

/// The files the simulator puts into a stage root instead of compiled
/// software: os-release (saying it is simulated), the profile link,
/// make.conf, runlevel links, kernel stubs. Package records are written by
/// `EmergeSimulator`, provenance by `Provenance`.
enum SyntheticRoot {
    static let osRelease = """
        NAME="Gentoo (catalyst-sim)"
        ID=gentoo
        PRETTY_NAME="Gentoo Linux stage SIMULATED by catalyst-sim: nothing was compiled"
        VARIANT="catalyst-sim synthetic stage"
        VARIANT_ID=catalyst-sim
        HOME_URL="https://www.gentoo.org/"

        """

    static func writeOSRelease(root: String) throws {
        try FileOps.writeFile(root + "/etc/os-release", osRelease)
    }

    /// `etc/portage/make.profile` → `../../var/db/repos/<repo>/profiles/<profile>`
    /// (relative, as config_profile_link() makes it).
    static func linkProfile(root: String, portConf: String, repoBasedir: String, repo: String, profile: String) throws {
        let confDir = FileOps.normpath(root + "/" + portConf)
        try FileOps.ensureDirs(confDir)
        let link = confDir + "/make.profile"
        unlink(link)
        let target = relativePath(from: FileOps.normpath(portConf), to: FileOps.normpath("\(repoBasedir)/\(repo)/profiles/\(profile)"))
        guard symlink(target, link) == 0 else {
            throw SimFailure.python(PythonException("OSError", "[Errno \(errno)] cannot create symlink '\(link)'"))
        }
    }

    /// os.path.relpath for absolute, normalised paths.
    static func relativePath(from base: String, to target: String) -> String {
        let b = base.split(separator: "/"), t = target.split(separator: "/")
        var common = 0
        while common < b.count, common < t.count, b[common] == t[common] { common += 1 }
        let ups = Array(repeating: "..", count: b.count - common)
        let rest = t[common...].map(String.init)
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// A make.conf of the kind catalyst writes: flags from the spec, the
    /// USE flags, English build output.
    static func makeConf(settings: PyDict, options: Set<String>, setup: Bool) -> String {
        var s = "# Written by catalyst-sim, a simulator of catalyst: nothing in this stage was compiled.\n"
        let common = settings["common_flags"]?.words.joined(separator: " ") ?? "-O2 -pipe"
        s += "COMMON_FLAGS=\"\(common)\"\n"
        for (flag, key) in [("CFLAGS", "cflags"), ("CXXFLAGS", "cxxflags"), ("FCFLAGS", "fcflags"), ("FFLAGS", "fflags")] {
            if let v = settings[key] { s += "\(flag)=\"\(v.words.joined(separator: " "))\"\n" }
            else { s += "\(flag)=\"${COMMON_FLAGS}\"\n" }
        }
        if let chost = settings["chost"]?.string { s += "CHOST=\"\(chost)\"\n" }
        var use: [String] = []
        let prefix = settings["target"]?.pyStr ?? ""
        if setup || options.contains("sticky-config") {
            use += settings["catalyst_use"]?.words ?? []
            if options.contains("bindist") { use.append("bindist") }
        }
        use += settings["hostuse"]?.words ?? []
        use += settings[prefix + "/use"]?.words ?? []
        if !use.isEmpty { s += "USE=\"\(Array(Set(use)).sorted().joined(separator: " "))\"\n" }
        s += "\nLC_MESSAGES=C.UTF-8\n"
        return s
    }

    /// `stage4/rcadd` / `stage4/rcdel` entries `service|runlevel`.
    static func applyRunlevels(root: String, add: [String], del: [String]) throws {
        for entry in add {
            let parts = entry.split(separator: "|", maxSplits: 1).map(String.init)
            let service = parts[0], level = parts.count > 1 ? parts[1] : "default"
            let dir = "\(root)/etc/runlevels/\(level)"
            try FileOps.ensureDirs(dir)
            unlink(dir + "/" + service)
            symlink("/etc/init.d/\(service)", dir + "/" + service)
        }
        for entry in del {
            let parts = entry.split(separator: "|", maxSplits: 1).map(String.init)
            let service = parts[0], level = parts.count > 1 ? parts[1] : "default"
            unlink("\(root)/etc/runlevels/\(level)/\(service)")
        }
    }

    /// Kernel files for `boot/kernel` entries: a stub, or — with
    /// `CATALYST_SIM_KERNEL_IMAGE=<file>` — a copy of a real kernel image
    /// (e.g. the host's EFI-stub `/boot/vmlinuz-*`), so disk images built
    /// from the synthetic stage4 have something to boot.
    static func writeKernel(root: String, name: String, config: String?) throws {
        if let image = ProcessInfo.processInfo.environment["CATALYST_SIM_KERNEL_IMAGE"], !image.isEmpty,
           let data = FileManager.default.contents(atPath: image) {
            try FileOps.ensureDirs("\(root)/boot")
            guard FileManager.default.createFile(atPath: "\(root)/boot/vmlinuz-sim-\(name)", contents: data) else {
                throw SimFailure.catalystError("cannot write \(root)/boot/vmlinuz-sim-\(name)")
            }
        } else {
            try FileOps.writeFile("\(root)/boot/vmlinuz-sim-\(name)", "catalyst-sim stub kernel '\(name)' (not a bootable kernel)\n")
        }
        try FileOps.writeFile("\(root)/boot/System.map-sim-\(name)", "catalyst-sim stub System.map for '\(name)'\n")
        if let config, let data = FileManager.default.contents(atPath: config) {
            try FileOps.writeFile("\(root)/boot/config-sim-\(name)", String(decoding: data, as: UTF8.self))
        }
    }
}
