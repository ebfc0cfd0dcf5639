/// The subarch names catalyst accepts (section names in catalyst 4.1.1's
/// arch/*.toml, which match catalyst 3's arch/*.py registrations for the
/// common architectures). An unknown subarch is "Unknown host machine type"
/// in catalyst 4 and "Invalid subarch" in catalyst 3.
enum KnownSubarches {
    static let all: Set<String> = [
        "alpha", "ev4", "ev45", "ev5", "ev56", "pca56", "ev6", "ev67",
        "amd64", "x86_64", "k8", "nocona", "core2", "k8-sse3", "amdfam10", "x32",
        "arm", "armv4l", "armv4tl", "armv5tl", "armv5tel", "armv5tejl", "armv6j", "armv6z", "armv6zk",
        "armv7a", "armv6j_hardfp", "armv6j_hardfp_musl", "armv7a_hardfp", "armv7a_hardfp_musl", "armeb", "armv5teb",
        "arm64", "aarch64", "aarch64_be",
        "hppa1.1", "hppa2.0", "ia64", "loong", "m68k", "m68k_a32", "m68k_musl",
        "mips1", "mips2", "mips2_softfloat", "mips2_musl", "mips32", "mips32_softfloat", "mips32r2",
        "mips32r2_softfloat", "mips3", "mips3_musl", "mips4_r5k", "mips4_r10k", "mips4_r12k", "mips64",
        "mips64r2", "mipsel1", "mipsel2", "mipsel2_softfloat", "mipsel2_musl", "mips32el", "mips32el_softfloat",
        "mips32r2el", "mips32r2el_softfloat", "mipsel3", "mipsel3_musl", "mipsel4_r5k", "mips64el", "mips64r2el",
        "loongson2e", "loongson2f", "loongson3a",
        "mips3_n32", "mips3_n32_softfloat", "mips3_n64", "mips3_n64_musl", "mips3_multilib", "mips4_r5k_n32",
        "mips4_r5k_n64", "mips4_r5k_multilib", "mips4_r10k_n32", "mips4_r10k_n64", "mips4_r10k_multilib",
        "mips4_r12k_n32", "mips4_r12k_n64", "mips4_r12k_multilib", "mips64_n32", "mips64_n64", "mips64_multilib",
        "mips64r2_n32", "mips64r2_n64", "mips64r2_multilib", "mipsel3_n32", "mipsel3_n32_softfloat", "mipsel3_n64",
        "mipsel3_multilib", "mipsel4_r5k_n32", "mipsel4_r5k_n64", "mipsel4_r5k_multilib", "mips64el_n32",
        "mips64el_n64", "mips64el_n64_musl", "mips64el_multilib", "mips64r2el_n32", "mips64r2el_n64",
        "mips64r2el_multilib", "loongson2e_n32", "loongson2e_n64", "loongson2e_multilib", "loongson2f_n32",
        "loongson2f_n64", "loongson2f_multilib", "loongson3a_n32", "loongson3a_n64", "loongson3a_multilib",
        "970", "cell", "power5", "power6", "power7", "power7le", "power8", "power8le", "power9", "power9le",
        "ppc64", "powerpc64", "ppc64le", "powerpc64le", "g3", "g4", "g5", "ppc", "powerpc",
        "riscv", "rv64_multilib", "rv64_lp64d", "rv64_lp64d_musl", "rv64_lp64", "rv64_lp64_musl",
        "rv32_ilp32d", "rv32_ilp32d_musl", "rv32_ilp32", "rv32_ilp32_musl",
        "s390", "s390x",
        "sh", "sh2", "sh2a", "sh3", "sh4", "sh4a", "sheb", "sh2eb", "sh2aeb", "sh3eb", "sh4eb", "sh4aeb",
        "sparc", "sparc64",
        "x86", "i486", "i586", "i686", "pentium", "pentium2", "pentium3", "pentiumpro", "pentium-mmx",
        "k6", "k6-2", "athlon", "athlon-xp", "i686-ssemath",
    ]
}
