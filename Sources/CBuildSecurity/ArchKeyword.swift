/// The architecture keyword (`amd64`, `arm64`, …) a GLSA's `arch`
/// attribute is matched against — portage compares it with `ARCH`, which
/// the stage's profile sets. Taken from a `default/linux/ARCH/…` profile
/// path when the target has one, else from catalyst's subarch.
public enum ArchKeyword {
    public static func of(profile: String?, subarch: String) -> String {
        if let profile {
            let parts = profile.split(separator: "/")
            if parts.count >= 3, parts[0] == "default", parts[1] == "linux" { return String(parts[2]) }
        }
        let s = subarch.lowercased()
        switch s {
        case "amd64", "x86_64", "k8", "nocona", "core2", "corei7", "znver1", "znver2", "znver3", "znver4", "x86-64", "x86-64-v2", "x86-64-v3":
            return "amd64"
        case "arm64", "aarch64", "aarch64_be", "arm64_be": return "arm64"
        case "ppc64", "ppc64le", "power8", "power9", "power10", "power8le", "power9le": return "ppc64"
        case "riscv64", "rv64gc", "rv64_lp64d": return "riscv"
        default: break
        }
        if s == "x86" || s.hasPrefix("i") && s.hasSuffix("86") || s.hasPrefix("pentium") || s.hasPrefix("athlon") { return "x86" }
        if s.hasPrefix("armv") || s == "arm" { return "arm" }
        if s.hasPrefix("ppc") { return "ppc" }
        if s.hasPrefix("sparc") { return "sparc" }
        if s.hasPrefix("s390") { return "s390" }
        if s.hasPrefix("mips") { return "mips" }
        if s.hasPrefix("hppa") { return "hppa" }
        if s.hasPrefix("alpha") || s.hasPrefix("ev") { return "alpha" }
        if s.hasPrefix("loong") { return "loong" }
        if s.hasPrefix("m68k") { return "m68k" }
        return s
    }
}
