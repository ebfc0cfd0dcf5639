import Foundation

/// Catalyst's command line (`get_parser()` in catalyst/main.py), parsed with
/// argparse's rules: long options may be abbreviated to any unambiguous
/// prefix, short flags combine (`-af spec`), `-c` may repeat, `-c`/`-f` must
/// name existing files; errors print the usage and
/// `catalyst-sim: error: …` on stderr and exit 2; `-h` and `-V` exit 0.
struct CommandLineOptions: Sendable {
    var debug = false
    var verbose = false
    var logLevel: String?
    var logFile: String?
    var color: Bool?
    var trace = false
    var profile = false
    var clearAutoresume = false
    var purge = false
    var purgeOnly = false
    var purgeTmpOnly = false
    var fetchOnly = false
    var enterChroot = false
    var configs: [String] = []
    var file: String?
    var snapshot: String?
    /// Catalyst 3's `-C/--cli key=value …` (everything after it).
    var cli: [String] = []

    /// What the command line asks for.
    enum Outcome: Sendable {
        case run(CommandLineOptions)
        /// Print this text on stdout and exit 0 (`-h`, `-V`).
        case exitWithText(String)
        /// argparse's error: print on stderr, exit 2.
        case usageError(String)
    }

    /// One argparse option: its names, whether it takes a value, its help.
    private struct Option {
        var short: String?
        var long: String
        var metavar: String?
        var help: String
        var remainder = false
        var takesValue: Bool { metavar != nil }
        var display: String { [short, long].compactMap { $0 }.joined(separator: "/") }
    }

    static let logLevels = ["critical", "error", "warning", "notice", "info", "debug"]

    private static func options(_ flavor: Flavor) -> [Option] {
        var o: [Option] = [
            Option(short: "-h", long: "--help", help: "show this help message and exit"),
            Option(short: "-V", long: "--version", help: "display version information"),
        ]
        if flavor == .four {
            o.append(Option(long: "--enter-chroot", help: "Enter chroot before starting the build"))
        }
        o += [
            Option(short: "-d", long: "--debug", help: "enable debugging (and default --log-level debug)"),
            Option(short: "-v", long: "--verbose", help: "verbose output (and default --log-level info)"),
            Option(long: "--log-level", metavar: "{critical,error,warning,notice,info,debug}", help: "set verbosity of output (default: notice)"),
            Option(long: "--log-file", metavar: "LOG_FILE", help: "write all output to this file (instead of stdout)"),
            Option(long: "--color", help: "colorize output all the time (default: detect)"),
            Option(long: "--nocolor", help: "never colorize output all the time (default: detect)"),
            Option(long: "--trace", help: "trace program output (akin to `sh -x`)"),
            Option(long: "--profile", help: "profile program execution"),
            Option(short: "-a", long: "--clear-autoresume", help: "clear autoresume flags"),
            Option(short: "-p", long: "--purge", help: "clear tmp dirs, package cache, autoresume flags"),
            Option(short: "-P", long: "--purgeonly", help: "clear tmp dirs, package cache, autoresume flags and exit"),
            Option(short: "-T", long: "--purgetmponly", help: "clear tmp dirs and autoresume flags and exit"),
            Option(long: "--versioned-cachedir", help: "use stage version on cache directory name"),
            Option(long: "--unversioned-cachedir", help: "do not use stage version on cache directory name"),
            Option(short: "-F", long: "--fetchonly", help: "fetch files only"),
            Option(short: "-c", long: "--configs", metavar: "CONFIGS", help: "use specified configuration files"),
            Option(short: "-f", long: "--file", metavar: "FILE", help: "read specfile"),
            Option(short: "-s", long: "--snapshot", metavar: "SNAPSHOT",
                   help: flavor == .four ? "Make an ebuild repo snapshot" : "generate a release snapshot"),
        ]
        if flavor == .three {
            o.append(Option(short: "-C", long: "--cli", metavar: "...", help: "catalyst commandline (MUST BE LAST OPTION)", remainder: true))
        }
        return o
    }

    static func usage(_ flavor: Flavor) -> String {
        let parts = options(flavor).map { opt -> String in
            let name = opt.short ?? opt.long
            if opt.remainder { return "[\(name) ...]" }
            if let m = opt.metavar { return "[\(name) \(m)]" }
            return "[\(name)]"
        }
        return "usage: catalyst-sim " + parts.joined(separator: " ")
    }

    static func help(_ flavor: Flavor) -> String {
        var s = usage(flavor) + "\n\nSIMULATOR of catalyst \(flavor.emulatedVersion): accepts catalyst's options; nothing is built.\n\noptions:\n"
        for opt in options(flavor) {
            var names = [opt.short, opt.long].compactMap { $0 }
            if let m = opt.metavar { names = names.map { "\($0) \(m)" } }
            s += "  " + names.joined(separator: ", ") + "\n        " + opt.help + "\n"
        }
        s += "\nSimulator knobs (environment): CATALYST_SIM_FLAVOR=3|4, CATALYST_SIM_FAIL=<glob>,\n"
        s += "CATALYST_SIM_SLEEP=<seconds>, CATALYST_SIM_NONREPRODUCIBLE=1, CATALYST_SIM_RUNS_FILE=<path>,\n"
        s += "CATALYST_SIM_PARSE_ONLY=1, CATALYST_SIM_PAYLOAD_MB=<n>, SOURCE_DATE_EPOCH=<seconds>.\n"
        return s
    }

    private static func looksLikeOption(_ s: String) -> Bool {
        guard s.hasPrefix("-"), s != "-" else { return false }
        return Double(s) == nil
    }

    static func parse(_ args: [String], flavor: Flavor) -> Outcome {
        let all = options(flavor)
        var result = CommandLineOptions()
        var extras: [String] = []
        var index = 0

        func error(_ message: String) -> Outcome { .usageError(usage(flavor) + "\ncatalyst-sim: error: " + message + "\n") }

        // Applies one option; returns an outcome to stop with, if any.
        func apply(_ opt: Option, value: String?) -> Outcome? {
            switch opt.long {
            case "--help": return .exitWithText(help(flavor))
            case "--version": return .exitWithText("Catalyst \(flavor.emulatedVersion)\ncatalyst-sim: SIMULATOR, no packages are built\n")
            case "--enter-chroot": result.enterChroot = true
            case "--debug": result.debug = true
            case "--verbose": result.verbose = true
            case "--log-level":
                guard let value, logLevels.contains(value) else {
                    let choices = logLevels.map { "'\($0)'" }.joined(separator: ", ")
                    return error("argument --log-level: invalid choice: '\(value ?? "")' (choose from \(choices))")
                }
                result.logLevel = value
            case "--log-file":
                // catalyst's FilePath type checks existence even with exists=False.
                guard let value, FileManager.default.fileExists(atPath: value) else {
                    return error("argument --log-file: file does not exist: \(value ?? "")")
                }
                result.logFile = value
            case "--color": result.color = true
            case "--nocolor": result.color = false
            case "--trace": result.trace = true
            case "--profile": result.profile = true
            case "--clear-autoresume": result.clearAutoresume = true
            case "--purge": result.purge = true
            case "--purgeonly": result.purgeOnly = true
            case "--purgetmponly": result.purgeTmpOnly = true
            case "--versioned-cachedir", "--unversioned-cachedir": break
            case "--fetchonly": result.fetchOnly = true
            case "--configs":
                guard let value, FileManager.default.fileExists(atPath: value) else {
                    return error("argument -c/--configs: file does not exist: \(value ?? "")")
                }
                result.configs.append(value)
            case "--file":
                guard let value, FileManager.default.fileExists(atPath: value) else {
                    return error("argument -f/--file: file does not exist: \(value ?? "")")
                }
                result.file = value
            case "--snapshot": result.snapshot = value
            default: break
            }
            return nil
        }

        // Takes the option's value: inline text or the next argument.
        func value(for opt: Option, inline: String?) -> (String?, Outcome?) {
            if let inline { return (inline, nil) }
            if index < args.count, !looksLikeOption(args[index]) {
                index += 1
                return (args[index - 1], nil)
            }
            return (nil, error("argument \(opt.display): expected one argument"))
        }

        while index < args.count {
            let arg = args[index]
            index += 1
            if arg == "--" { extras += args[index...]; break }
            if arg.hasPrefix("--") {
                var name = arg
                var inline: String?
                if let eq = arg.firstIndex(of: "=") {
                    name = String(arg[..<eq])
                    inline = String(arg[arg.index(after: eq)...])
                }
                var match = all.first { $0.long == name }
                if match == nil {
                    let candidates = all.filter { $0.long.hasPrefix(name) }
                    if candidates.count > 1 {
                        return error("ambiguous option: \(name) could match " + candidates.map(\.long).joined(separator: ", "))
                    }
                    match = candidates.first
                }
                guard let opt = match else { extras.append(arg); continue }
                if opt.remainder {
                    if let inline { result.cli.append(inline) }
                    result.cli += args[index...]
                    index = args.count
                    continue
                }
                if opt.takesValue {
                    let (v, failure) = value(for: opt, inline: inline)
                    if let failure { return failure }
                    if let stop = apply(opt, value: v) { return stop }
                } else {
                    if inline != nil { return error("argument \(opt.display): ignored explicit argument '\(inline!)'") }
                    if let stop = apply(opt, value: nil) { return stop }
                }
                continue
            }
            if looksLikeOption(arg) {
                var rest = Substring(arg.dropFirst())
                // `-c=FILE` names the option explicitly.
                if let eq = rest.firstIndex(of: "="), rest.distance(from: rest.startIndex, to: eq) == 1,
                   let opt = all.first(where: { $0.short == "-" + rest[..<eq] }), opt.takesValue {
                    if let stop = apply(opt, value: String(rest[rest.index(after: eq)...])) { return stop }
                    continue
                }
                var unknown = false
                while let ch = rest.first {
                    rest = rest.dropFirst()
                    guard let opt = all.first(where: { $0.short == "-" + String(ch) }) else { unknown = true; break }
                    if opt.remainder {
                        if !rest.isEmpty { result.cli.append(String(rest)) }
                        result.cli += args[index...]
                        index = args.count
                        rest = ""
                        break
                    }
                    if opt.takesValue {
                        let (v, failure) = value(for: opt, inline: rest.isEmpty ? nil : String(rest))
                        if let failure { return failure }
                        rest = ""
                        if let stop = apply(opt, value: v) { return stop }
                    } else if let stop = apply(opt, value: nil) {
                        return stop
                    }
                }
                if unknown { extras.append(arg) }
                continue
            }
            extras.append(arg)
        }
        if !extras.isEmpty { return error("unrecognized arguments: " + extras.joined(separator: " ")) }
        return .run(result)
    }
}
