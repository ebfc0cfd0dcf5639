import Foundation
import PackagePlugin

/// Stamps the `cbuild` executable with the commit it was built from, for
/// `cbuild --version`: a prebuild command asks git (`unknown` outside a
/// checkout) and rewrites `BuildStamp.swift` only when the text changes,
/// so an unchanged commit recompiles nothing.
@main
struct BuildStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appending(path: "stamp")
        let root = context.package.directoryURL.path
        let script = """
            set -u
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            if [ "$commit" != unknown ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
              commit="$commit+changes"
            fi
            printf 'let buildCommit = "%s"\\n' "$commit" > "$2/BuildStamp.swift.new"
            if cmp -s "$2/BuildStamp.swift.new" "$2/BuildStamp.swift"; then rm -f "$2/BuildStamp.swift.new"
            else mv "$2/BuildStamp.swift.new" "$2/BuildStamp.swift"; fi
            """
        return [.prebuildCommand(displayName: "Stamping the build with its commit",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "stamp", root, out.path],
                                 outputFilesDirectory: out)]
    }
}
