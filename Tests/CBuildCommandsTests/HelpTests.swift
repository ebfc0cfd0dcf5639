import ArgumentParser
import CBuildBasics
@testable import CBuildCommands
import CBuildTestSupport
import Foundation
import Testing

/// Help that tells the truth: every example in every `--help` parses as
/// written, `help` finds commands at any depth and refuses unknown ones,
/// and the README's usage block is the commands' own summaries.
@Suite struct HelpTests {
    /// Every command, with its path (`["snapshot", "fetch"]`).
    static func commands() -> [(path: [String], type: ParsableCommand.Type)] {
        var out: [(path: [String], type: ParsableCommand.Type)] = []
        func walk(_ t: ParsableCommand.Type, _ path: [String]) {
            out.append((path, t))
            for s in t.configuration.subcommands { walk(s, path + [s.configuration.commandName ?? s._commandName]) }
        }
        walk(CBuildCommand.self, [])
        return out
    }

    /// Words of a shell-like line: whitespace-separated, "double quotes" kept together.
    static func words(_ line: String) -> [String] {
        var out: [String] = [], current = "", quoted = false, any = false
        for ch in line {
            if ch == "\"" { quoted.toggle(); any = true; continue }
            if ch == " " && !quoted { if any { out.append(current) }; current = ""; any = false; continue }
            current.append(ch); any = true
        }
        if any { out.append(current) }
        return out
    }

    /// Example command lines in a discussion: `cbuild …` up to a gap of two
    /// spaces (the comment after it), also after "Example: ".
    static func examples(_ discussion: String) -> [String] {
        discussion.split(separator: "\n").compactMap { raw in
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Example: ") { line = String(line.dropFirst("Example: ".count)) }
            guard line.hasPrefix("cbuild ") || line == "cbuild" else { return nil }
            if let gap = line.range(of: "  ") { line = String(line[..<gap.lowerBound]) }
            if let pipe = line.range(of: " | ") { line = String(line[..<pipe.lowerBound]) }   // `… | dot -Tsvg`
            return line
        }
    }

    @Test func everyExampleInEveryHelpParsesAsWritten() throws {
        var checked = 0
        for (path, type) in Self.commands() {
            for example in Self.examples(type.configuration.discussion) {
                let args = Array(Self.words(example).dropFirst())
                #expect(throws: Never.self, "\(path.joined(separator: " ")): `\(example)`") {
                    _ = try CBuildCommand.parseAsRoot(CBuildMain.hoistGlobalOptions(try CBuildMain.helpRequest(args)))
                }
                checked += 1
            }
        }
        #expect(checked > 25, "examples found: \(checked)")
    }

    @Test func helpFindsCommandsAtAnyDepthAndRefusesUnknownOnes() throws {
        let unknown = try CLI.run(["help", "NOSUCH"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown command 'NOSUCH'"), "\(unknown)")
        let typo = try CLI.run(["help", "snapshot", "fecth"])
        #expect(typo.status == 2 && typo.stderr.contains("did you mean 'fetch'?"), "\(typo)")
        let inner = try CLI.run(["snapshot", "help", "fetch"])
        let outer = try CLI.run(["help", "snapshot", "fetch"])
        #expect(inner.status == 0 && inner.stdout == outer.stdout && inner.stdout.contains("--date"), "\(inner)")
    }

    @Test func aBareTargetNameSuggestsItsNode() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        let r = try ex.cbuild(["workstation"])
        #expect(r.status == 2 && r.stderr.contains("did you mean 'stage4/workstation'?"), "\(r)")
        let targets = try ex.cbuild(["targets", "--json"])
        #expect(targets.status == 0, "\(targets)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(targets.stdout.utf8)) as? [[String: Any]])
        let kinds = Dictionary(rows.compactMap { r in (r["node"] as? String).map { ($0, r["kind"] as? String ?? "") } }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["stage4/workstation"] == "target" && kinds["stage4/web@canary"] == nil)
        #expect(kinds["stage4/aws/web@canary"] == "variant" && kinds["fleet/prod"] == "fleet")
        #expect(kinds["image/vm/test.qcow2"] == "image" && kinds["all"] == "group")
        #expect(kinds["spec/workstation"] == nil && kinds["init"] == nil, "internal nodes are not listed")
    }

    /// The README's usage block, between its ``` fences under "## Usage".
    static func readmeUsage(_ readme: String) -> String? {
        guard let section = readme.range(of: "## Usage\n\n```\n"),
              let end = readme.range(of: "\n```", range: section.upperBound..<readme.endIndex) else { return nil }
        return String(readme[section.upperBound..<end.lowerBound])
    }

    /// `CBUILD_WRITE_README=1 swift test --filter theReadmeUsageIsTheCommandsOwnSummary` rewrites it.
    @Test func theReadmeUsageIsTheCommandsOwnSummary() throws {
        let path = BuiltProducts.packageRoot + "/README.md"
        let readme = try String(contentsOfFile: path, encoding: .utf8)
        let expected = CBuildCommand.usageSummary()
        if ProcessInfo.processInfo.environment["CBUILD_WRITE_README"] == "1", let current = Self.readmeUsage(readme) {
            try readme.replacingOccurrences(of: current, with: expected).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let now = try String(contentsOfFile: path, encoding: .utf8)
        #expect(Self.readmeUsage(now) == expected,
                "README's usage block differs from the commands' summaries; regenerate it with CBUILD_WRITE_README=1 swift test --filter theReadmeUsageIsTheCommandsOwnSummary")
    }

    @Test func versionNamesTheCommitItWasBuiltFrom() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0, "\(r)")
        // The commit is one of this checkout's (the one built from: HEAD or an ancestor), or "unknown" outside git.
        let prefix = "cbuild \(CBuildMain.version) (commit "
        #expect(r.stdout.hasPrefix(prefix), "\(r)")
        let commit = String(r.stdout.dropFirst(prefix.count).prefix { $0.isHexDigit })
        let inGit = try SystemProcessRunner().run(["git", "-C", BuiltProducts.packageRoot, "rev-parse", "--git-dir"]).succeeded
        if inGit {
            #expect(commit.count == 12, "\(r)")
            #expect(try SystemProcessRunner().run(["git", "-C", BuiltProducts.packageRoot, "merge-base", "--is-ancestor", commit, "HEAD"]).succeeded,
                    "\(commit) is HEAD or one of its ancestors")
        } else {
            #expect(r.stdout.hasPrefix(prefix + "unknown"))
        }
    }

    @Test func shellCompletionOffersTheDirectorysNodeNames() throws {
        let ex = try ExampleBuildDirectory(); defer { ex.remove() }
        for shell in ["bash", "zsh", "fish"] {
            let script = try CLI.run(["--generate-completion-script", shell])
            #expect(script.status == 0 && script.stdout.contains("---completion"), "\(shell): \(script)")
        }
        // What the bash script asks when completing `cbuild status stage4/v<TAB>`.
        let r = try SystemProcessRunner().run([BuiltProducts.path("cbuild"), "---completion", "status", "--", "positional@0", "2", "8",
                                               "cbuild", "status", "stage4/v"], environment: nil, currentDirectory: ex.path, input: nil)
        let words = r.stdoutString.split(separator: "\n").map(String.init)
        #expect(words.contains("stage4/vm/test") && words.contains("stage4/vm/test@canary"), "\(r)")
        #expect(!words.contains("stage4/base") && !words.contains { $0.hasPrefix("spec/") }, "\(r)")
    }
}
