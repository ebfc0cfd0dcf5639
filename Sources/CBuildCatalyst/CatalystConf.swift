import CBuildBasics
import Foundation

/// Renders `.cache/catalyst/catalyst.conf` and `catalystrc` from templates
/// (built in, or the directory's own via `[catalyst] conf_template` /
/// `envscript_template`). Tokens are `@NAME@`; an unknown token is an error
/// naming the template and line.
///
/// Flavour 4 writes catalyst 4's TOML config with only keys catalyst 4
/// accepts (`options` and `digests` as arrays); flavour 3 writes catalyst
/// 3's shell-style `key="value"` config with `portdir` and `repo_name`.
public struct CatalystConf: Sendable {
    public var flavor: Int
    public var root: String
    public var options: [String]
    public var digests: [String]
    public var compression: String

    public init(flavor: Int, root: String, options: [String], digests: [String], compression: String) {
        self.flavor = flavor; self.root = root; self.options = options; self.digests = digests; self.compression = compression
    }

    public var storedir: String { root + "/artifacts" }
    public var distdir: String { root + "/artifacts/distfiles" }
    public var confPath: String { root + "/.cache/catalyst/catalyst.conf" }
    public var envscriptPath: String { root + "/.cache/catalyst/catalystrc" }
    /// Catalyst's repository name: the snapshot file prefix it looks for.
    public var repoName: String { flavor == 3 ? "portage" : "gentoo" }

    /// The tarball extension catalyst uses for a compression mode.
    public static func tarballExtension(compression: String) -> String {
        switch compression {
        case "pixz", "xz", "pixz_x", "xz_x": return "tar.xz"
        case "gzip", "pigz", "gzip_x", "pigz_x": return "tar.gz"
        case "zstd", "zstd_x": return "tar.zst"
        case "tar", "tar_x": return "tar"
        default: return "tar.bz2"   // bzip2, lbzip2, pbzip2: catalyst's default lbzip2
        }
    }

    public var tokens: [String: String] {
        let quotedList: ([String]) -> String = { "[" + $0.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return [
            "ROOT": root,
            "STOREDIR": storedir,
            "DISTDIR": distdir,
            "ENVSCRIPT": envscriptPath,
            "COMPRESSION": compression,
            "OPTIONS": flavor == 3 ? options.joined(separator: " ") : quotedList(options),
            // catalyst 3 names BLAKE2b "blake2"; catalyst 4 uses hashlib's "blake2b".
            "DIGESTS": flavor == 3 ? digests.map { $0 == "blake2b" ? "blake2" : $0 }.joined(separator: " ") : quotedList(digests),
            "REPO_NAME": repoName,
        ]
    }

    public static let builtinConf4 = """
        # catalyst.conf for catalyst 4, rendered by cbuild from its built-in template.
        # Rewritten by cbuild when cbuild.toml changes or the directory moves; edit
        # [catalyst] in cbuild.toml (or set conf_template) instead of this file.
        digests = @DIGESTS@
        options = @OPTIONS@
        storedir = "@STOREDIR@"
        distdir = "@DISTDIR@"
        envscript = "@ENVSCRIPT@"
        compression_mode = "@COMPRESSION@"

        """

    public static let builtinConf3 = """
        # catalyst.conf for catalyst 3, rendered by cbuild from its built-in template.
        # Rewritten by cbuild when cbuild.toml changes or the directory moves; edit
        # [catalyst] in cbuild.toml (or set conf_template) instead of this file.
        digests="@DIGESTS@"
        options="@OPTIONS@"
        storedir="@STOREDIR@"
        distdir="@DISTDIR@"
        envscript="@ENVSCRIPT@"
        portdir="/var/db/repos/portage"
        repo_name="portage"
        sharedir="/usr/share/catalyst"
        contents="auto"
        compression_mode="@COMPRESSION@"

        """

    public static let builtinEnvscript = """
        # catalystrc, rendered by cbuild: catalyst sources this before each build.
        # Parallel make inside the chroot, sized on the host running the build
        # (computed here, so it never enters a cbuild key).
        export MAKEOPTS="-j$(nproc)"
        export EMERGE_DEFAULT_OPTS="--jobs=$(nproc) --load-average=$(nproc)"

        """

    /// Substitutes `@NAME@` tokens outside `#` comments; unknown tokens are
    /// errors with the line.
    public static func substitute(_ template: String, tokens: [String: String], templateName: String) throws -> String {
        var out = ""
        var lineNo = 1
        var inComment = false
        var i = template.startIndex
        while i < template.endIndex {
            let c = template[i]
            if c == "\n" { lineNo += 1; inComment = false }
            if c == "#" { inComment = true }
            // Comments are left as written: catalyst drops them anyway.
            if c == "@", !inComment, let close = template[template.index(after: i)...].firstIndex(of: "@"),
               !template[i..<close].contains("\n") {
                let name = String(template[template.index(after: i)..<close])
                if !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber }) {
                    guard let v = tokens[name] else {
                        throw CatalystError.unknownToken(file: templateName, line: lineNo, token: name,
                                                         known: tokens.keys.sorted())
                    }
                    out += v
                    i = template.index(after: close)
                    continue
                }
            }
            out.append(c)
            i = template.index(after: i)
        }
        return out
    }

    public func renderConf(template: String?, templateName: String = "built-in catalyst.conf template") throws -> String {
        let t = template ?? (flavor == 3 ? CatalystConf.builtinConf3 : CatalystConf.builtinConf4)
        return try CatalystConf.substitute(t, tokens: tokens, templateName: templateName)
    }

    public func renderEnvscript(template: String?, templateName: String = "built-in catalystrc template") throws -> String {
        try CatalystConf.substitute(template ?? CatalystConf.builtinEnvscript, tokens: tokens, templateName: templateName)
    }
}
