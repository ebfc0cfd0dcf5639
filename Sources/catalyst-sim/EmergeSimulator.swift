import Foundation

/// Pretends to run emerge inside the chroot: prints emerge's progress lines
/// (`>>> Emerging (i of n) cat/pkg-1.0::gentoo`, `>>> Installing …`,
/// `>>> Completed …`; `>>> Emerging binary …` when the package cache already
/// holds the package), records each package under `/var/db/pkg`, drops a
/// stub binary package into the package cache, honours the sleep knob and
/// injects the failure the fail knob asks for.
struct EmergeSimulator {
    let log: CatalystLog
    /// Root the packages are "installed" into (the stage path).
    let root: String
    let pkgcachePath: String?
    /// Seconds to sleep per package.
    let sleepPerPackage: Double
    /// The glob that selected this run for failure, when it did.
    var failGlob: String?
    /// USE flags enabled in the stage (the spec's `hostuse` and `TARGET/use`,
    /// a later `-flag` turning an earlier one off), recorded in each package's
    /// `USE` file. Real portage records the flags of the package's IUSE (plus
    /// implicit ones); the simulator knows no IUSE, so every package gets all.
    var useFlags: [String] = []
    /// The snapshot's ebuilds: an unpinned atom gets the best version they
    /// offer (as emerge picks it), 1.0 when the tree has none of the package.
    var tree: RepositoryTree?

    /// The enabled flags of a USE list, as portage's incremental stacking leaves them.
    static func enabledFlags(_ words: [String]) -> [String] {
        var on: [String] = []
        for w in words {
            if w == "-*" { on.removeAll(); continue }
            if w.hasPrefix("-") { on.removeAll { $0 == String(w.dropFirst()) }; continue }
            if !on.contains(w) { on.append(w) }
        }
        return on.sorted()
    }

    /// Emerges the atoms; throws the controller script's failure when the
    /// fail knob selected this run (after the last package started).
    mutating func emerge(_ atoms: [String], controllerCommand: [String]) throws -> [PackageAtom] {
        var packages: [PackageAtom] = []
        for atom in atoms {
            guard var p = PackageAtom(atom) else { continue }
            if !p.pinned, let best = tree?.bestVersion(category: p.category, name: p.name) { p.version = best }
            if !packages.contains(where: { $0.cpv == p.cpv }) { packages.append(p) }
        }
        log.raw("")
        log.raw("Calculating dependencies... done!")
        let n = packages.count
        for (index, p) in packages.enumerated() {
            let i = index + 1
            let name = "\(p.cpv)::\(p.repository)"
            let binpkg = pkgcachePath.map { "\($0)/\(p.category)/\(p.name)-\(p.version).sim-binpkg" }
            let binary = binpkg.map(FileOps.isFile) ?? false
            log.raw(">>> Emerging \(binary ? "binary " : "")(\(i) of \(n)) \(name)")
            EmergeSimulator.sleep(sleepPerPackage / 2)
            if let glob = failGlob, i == n {
                try fail(name: name, cpv: p.cpv, glob: glob, command: controllerCommand)
            }
            log.raw(">>> Installing (\(i) of \(n)) \(name)")
            try install(p)
            if let binpkg, !binary {
                try FileOps.writeFile(binpkg, "catalyst-sim stub binary package for \(p.cpv) (nothing was compiled)\n")
            }
            EmergeSimulator.sleep(sleepPerPackage / 2)
            log.raw(">>> Completed (\(i) of \(n)) \(name)")
        }
        if n == 0, let glob = failGlob {
            try fail(name: nil, cpv: nil, glob: glob, command: controllerCommand)
        }
        return packages
    }

    private mutating func fail(name: String?, cpv: String?, glob: String, command: [String]) throws {
        if let name, let cpv {
            log.raw(" * ERROR: \(name) failed (compile phase):")
            log.raw(" *   catalyst-sim: failure injected by CATALYST_SIM_FAIL=\(glob)")
            log.raw(" * ")
            log.raw(">>> Failed to emerge \(cpv)")
        } else {
            log.raw("catalyst-sim: failure injected by CATALYST_SIM_FAIL=\(glob)")
        }
        failGlob = nil
        throw SimFailure.catalystError("cmd(\(PyValue.strings(command).pyRepr)) exited 1")
    }

    /// Records the package the way portage's installed-package database
    /// does: one directory `CAT/PF` with one-line files named after the
    /// metadata keys (CATEGORY, PF, SLOT, repository, USE).
    func install(_ p: PackageAtom) throws {
        let dir = "\(root)/var/db/pkg/\(p.category)/\(p.name)-\(p.version)"
        try FileOps.ensureDirs(dir)
        try FileOps.writeFile(dir + "/CATEGORY", p.category + "\n")
        try FileOps.writeFile(dir + "/PF", "\(p.name)-\(p.version)\n")
        try FileOps.writeFile(dir + "/SLOT", (p.slot ?? "0") + "\n")
        try FileOps.writeFile(dir + "/repository", p.repository + "\n")
        try FileOps.writeFile(dir + "/USE", useFlags.joined(separator: " ") + "\n")
        try FileOps.writeFile(dir + "/CATALYST_SIM", "simulated install of atom '\(p.atom)'; nothing was compiled\n")
    }

    /// Removes installed packages matching the atoms (`emerge --unmerge`).
    func unmerge(_ atoms: [String]) {
        let targets = atoms.compactMap(PackageAtom.init)
        let n = targets.count
        for (index, p) in targets.enumerated() {
            let categoryDir = "\(root)/var/db/pkg/\(p.category)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: categoryDir)) ?? []
            for entry in names.sorted() where PackageAtom.splitVersion(entry)?.name == p.name {
                log.raw(">>> Unmerging (\(index + 1) of \(n)) \(p.category)/\(entry)...")
                try? FileManager.default.removeItem(atPath: categoryDir + "/" + entry)
            }
        }
    }

    /// Sleeps in short slices, so a signal is handled promptly.
    static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var remaining = seconds
        while remaining > 0 {
            let slice = min(remaining, 0.05)
            var ts = timespec(tv_sec: Int(slice), tv_nsec: Int((slice - Double(Int(slice))) * 1e9))
            nanosleep(&ts, nil)
            remaining -= slice
        }
    }
}
