import CBuildTestSupport
import Foundation
import Testing

/// Bad input through the CLI (SPEC section 8): each mistake is one error
/// naming the file, line and key, exit 2, and nothing written — not even
/// `.cache/` — whichever command meets it first.
@Suite struct ConfigErrorCLITests {
    /// One way to break the example directory.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// The file edited, and the text replaced in it.
        var file: String
        var old: String
        var new: String
        /// The file the error must name, and the text on the line it must point at.
        var reportedFile: String
        var reportedLine: String
        /// Words the message must carry (the key, the offending value, a suggestion).
        var mentions: [String]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed TOML", file: "cbuild.toml", old: "jobs = 1", new: "jobs = = 1",
             reportedFile: "cbuild.toml", reportedLine: "jobs = = 1", mentions: ["malformed TOML"]),
        Case(name: "unknown key", file: "targets/vm/test.toml", old: "\nstage = 4", new: "\nstgae = 4",
             reportedFile: "targets/vm/test.toml", reportedLine: "stgae = 4",
             mentions: ["unknown key 'stgae'", "did you mean 'stage'"]),
        Case(name: "missing referenced file", file: "targets/vm/test.toml", old: "kernel/vm.config", new: "kernel/vm-gone.config",
             reportedFile: "targets/vm/test.toml", reportedLine: "kernel/vm-gone.config",
             mentions: ["kernel.config", "kernel/vm-gone.config"]),
        Case(name: "path escaping with ..", file: "features/ssh.toml", old: "overlay = \"overlays/ssh\"", new: "overlay = \"../outside\"",
             reportedFile: "features/ssh.toml", reportedLine: "overlay = \"../outside\"",
             mentions: ["'overlay'", "'..'"]),
        Case(name: "feature cycle", file: "features/base.toml", old: "\npackages = [", new: "\nrequires = [\"ssh\"]\npackages = [",
             reportedFile: "features/ssh.toml", reportedLine: "requires = [\"base\"]",
             mentions: ["cycle in features", "base -> ssh -> base", "'requires'"]),
    ]

    static let commands: [[String]] = [
        ["status"], ["init"], ["snapshot", "fetch"], ExampleBuildDirectory.withSim(["stage4/vm/test"]),
    ]

    @Test(arguments: cases)
    func eachMistakeIsOneLocatedErrorExitTwoAndNothingWritten(_ c: Case) throws {
        let dir = try TemporaryDirectory(prefix: "cbuild-badconfig"); defer { dir.remove() }
        try MirroredSite.copyExample(into: dir.path)
        let text = try dir.read(c.file)
        #expect(text.contains(c.old), "the example changed: \(c.file) no longer has \(c.old)")
        try dir.write(c.file, text.replacingOccurrences(of: c.old, with: c.new))
        let reported = try dir.read(c.reportedFile).split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(reported.firstIndex { $0.contains(c.reportedLine) }) + 1

        let before = DirectoryListing(dir.path)
        for command in Self.commands {
            let r = try MirroredSite.cbuild(command, in: dir.path)
            #expect(r.status == 2, "\(command): \(r)")
            let errors = r.stderr.split(separator: "\n").filter { $0.contains("error:") }
            #expect(errors.count == 1, "\(command): \(r)")
            #expect(errors.first?.hasPrefix("error: \(c.reportedFile):\(line):") == true, "\(command): \(r)")
            for m in c.mentions { #expect(r.stderr.contains(m), "\(command): '\(m)' missing in \(r)") }
            #expect(r.stdout.isEmpty, "\(command): \(r)")
        }
        #expect(!dir.exists(".cache") && !dir.exists("artifacts"), "\(DirectoryListing(dir.path))")
        #expect(DirectoryListing(dir.path).differences(from: before).isEmpty)
    }
}
