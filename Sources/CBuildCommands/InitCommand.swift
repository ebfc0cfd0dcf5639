import ArgumentParser
import CBuildBasics
import CBuildCatalyst
import CBuildConfig
import CBuildProject
import Foundation

/// `cbuild init`: render catalyst.conf/catalystrc in a build directory, or
/// create a working skeleton in an empty directory.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Render .cache/catalyst/catalyst.conf and catalystrc; in an empty directory, create a skeleton.",
        discussion: """
            Idempotent: a second run rewrites nothing.
            Examples:
              cbuild init                   in a build directory
              mkdir site && cbuild -C site init
            """)
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let (terminal, _) = global.makeOutput()
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        let target = global.directory.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? cwd
        if !fm.fileExists(atPath: target + "/cbuild.toml"), (try? BuildDirectory.discover(from: target, explicit: global.directory)) == nil {
            var isDir: ObjCBool = false
            if !fm.fileExists(atPath: target, isDirectory: &isDir) {
                try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            } else if !isDir.boolValue {
                throw CommandError("\(target) is not a directory")
            }
            let created = try Skeleton.write(into: target)
            for f in created { terminal.line("created \(f)") }
        }
        let before = Self.snapshot(target: target)
        try await Session.with(GlobalOptionsWithDir(global, target), access: .mutating, command: "cbuild init") { ws, terminal, _ in
            try ws.renderInit()
            let ignore = try Self.ensureGitignore(root: ws.root)
            let after = Self.snapshot(target: ws.root)
            for f in [InitRule.confFile, InitRule.envscriptFile] {
                terminal.line((before[f] == after[f] ? "unchanged " : "rendered  ") + f)
            }
            if ignore { terminal.line("updated   .gitignore (artifacts/, .cache/)") }
            terminal.line("catalyst flavour \(ws.configuration.project.catalyst.flavor); storedir \(ws.root)/artifacts")
            let steps = Self.nextSteps(ws)
            terminal.line("next:")
            terminal.out(TableView.render(steps.map { ["  " + $0.command, $0.why] }))
        }
    }

    /// What stands between this directory and a build, in the order to do
    /// it: the snapshot roles and seeds the targets use that are not there
    /// yet, then the build of `[project] default`.
    static func nextSteps(_ ws: Workspace) -> [(command: String, why: String)] {
        let c = ws.configuration
        var steps: [(command: String, why: String)] = []
        let flavor = c.project.catalyst.flavor
        for role in Set(c.targets.values.map(\.snapshot)).sorted()
        where (try? FileManager.default.destinationOfSymbolicLink(atPath: ws.directory.path(ProjectGraph.snapshotRoleLink(flavor: flavor, role: role)))) == nil {
            steps.append(("cbuild snapshot fetch" + (role == "stable" ? "" : " --role \(role)"), "fetch and verify a snapshot for role '\(role)'"))
        }
        var seeds: [(String, String)] = []
        for t in c.targets.values.sorted(by: { $0.name < $1.name }) {
            if case let .seed(name) = t.seed, !seeds.contains(where: { $0 == (name, t.seedRole ?? "stable") }) { seeds.append((name, t.seedRole ?? "stable")) }
        }
        for (name, role) in seeds
        where (try? FileManager.default.destinationOfSymbolicLink(atPath: ws.directory.path(ProjectGraph.seedRoleLink(seed: name, role: role)))) == nil {
            steps.append(("cbuild seed fetch \(name)" + (role == "stable" ? "" : " --role \(role)"), "fetch and verify the stage3 seed"))
        }
        if Executables.find(c.project.catalyst.command.first ?? "catalyst") == nil {
            steps.append(("cbuild doctor", "\(c.project.catalyst.command.joined(separator: " ")) is not installed here: see what a build needs"))
        }
        steps.append(("cbuild " + c.project.defaultNodes.joined(separator: " "), "build [project] default"))
        return steps
    }

    private static func snapshot(target: String) -> [String: Data] {
        var out: [String: Data] = [:]
        for f in [InitRule.confFile, InitRule.envscriptFile] {
            if let d = FileManager.default.contents(atPath: target + "/" + f) { out[f] = d }
        }
        return out
    }

    /// Adds `artifacts/` and `.cache/` to .gitignore when missing; true if written.
    static func ensureGitignore(root: String) throws -> Bool {
        let path = root + "/.gitignore"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        var add: [String] = []
        for e in ["artifacts/", ".cache/"] where !lines.contains(e) && !lines.contains("/" + e) { add.append(e) }
        guard !add.isEmpty else { return false }
        let text = existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + add.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return true
    }
}

/// The global options with `-C` pointing at a directory chosen by the command.
func GlobalOptionsWithDir(_ g: GlobalOptions, _ dir: String) -> GlobalOptions {
    var copy = g
    copy.directory = dir
    return copy
}
