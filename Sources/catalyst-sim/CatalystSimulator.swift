import Foundation

/// The simulator's main flow, in catalyst's order (`_main()` in
/// catalyst/main.py): banner, command line, logging, catalyst.conf, spec,
/// target construction, run. Returns the exit status catalyst would.
enum CatalystSimulator {
    static func banner(_ flavor: Flavor) -> String {
        "catalyst-sim: SIMULATOR of catalyst \(flavor == .four ? "4.x" : "3.x") (emulating \(flavor.emulatedVersion)) — no packages are built; outputs are synthetic"
    }

    static func run(arguments: [String], environment: [String: String]) -> Int32 {
        umask(0o022)
        let flavor = Flavor(environment: environment)
        let knobs = SimKnobs(environment: environment)
        let log = CatalystLog()
        log.raw(banner(flavor))
        SignalHandling.install()

        let opts: CommandLineOptions
        switch CommandLineOptions.parse(arguments, flavor: flavor) {
        case let .exitWithText(text):
            CatalystLog.writeAll(text, to: 1)
            return 0
        case let .usageError(text):
            CatalystLog.writeAll(text, to: 2)
            return 2
        case let .run(o):
            opts = o
        }

        if let level = opts.logLevel, let l = CatalystLog.Level(option: level) { log.threshold = l }
        else if opts.debug { log.threshold = .debug }
        else if opts.verbose { log.threshold = .info }
        if let file = opts.logFile {
            log.redirect(toFile: file)
            log.notice(banner(flavor))
        }

        if knobs.parseOnly { return parseOnly(opts, log: log) }

        if opts.file == nil, opts.cli.isEmpty, opts.snapshot == nil {
            CatalystLog.writeAll(CommandLineOptions.usage(flavor) + "\ncatalyst-sim: error: please specify one of either -f or -C or -s\n", to: 2)
            return 2
        }

        log.info("Catalyst \(flavor.emulatedVersion) (catalyst-sim)")
        var cliOptions: [String] = []
        if opts.fetchOnly { cliOptions.append("fetch") }
        if opts.purge { cliOptions.append("purge") }
        if opts.purgeOnly { cliOptions.append("purgeonly") }
        if opts.purgeTmpOnly { cliOptions.append("purgetmponly") }
        if opts.clearAutoresume { cliOptions.append("clear-autoresume") }
        if opts.enterChroot { cliOptions.append("enter-chroot") }

        do {
            let configs = opts.configs.isEmpty ? ["/etc/catalyst/catalyst.conf"] : opts.configs
            let conf = try CatalystConfig.load(flavor: flavor, files: configs, cliOptions: cliOptions, log: log)
            if opts.snapshot != nil {
                throw SimFailure.notSimulated("-s/--snapshot (the snapshot target) is not simulated")
            }

            var spec = PyDict()
            if let file = opts.file {
                log.notice("Processing spec file: \(file)")
                spec = try readSpec(file, log: log)
            }
            if !opts.cli.isEmpty {
                do {
                    let cli = try SpecParser.config3.parse(lines: opts.cli)
                    for (k, v) in cli.values.entries { spec[k] = v }
                } catch is SpecParser.SyntaxError {
                    throw SimFailure.critical("Could not parse commandline")
                }
            }
            let buildName = ["rel_type"].map { spec[$0]?.pyStr ?? "?" }[0] + "/" +
                ["target", "subarch", "version_stamp"].map { spec[$0]?.pyStr ?? "?" }.joined(separator: "-")
            knobs.recordRun(buildName)

            let targetName = try StageTarget.targetName(spec: spec, flavor: flavor)
            let target: StageTarget
            do {
                target = try StageTarget(flavor: flavor, target: targetName, conf: conf, spec: spec, log: log)
            } catch let SimFailure.catalystError(message) {
                // build_target() catches CatalystError from the constructor: a failed build.
                log.error("CatalystError: \(message)")
                return 2
            }
            let ok = StageRunner(target: target, conf: conf, knobs: knobs, log: log).run()
            return ok ? 0 : 2
        } catch let failure as SimFailure {
            return report(failure, log: log)
        } catch {
            log.uncaught("\(error)")
            return 1
        }
    }

    /// Ends like catalyst for errors outside the target's construction: exit 1.
    static func report(_ failure: SimFailure, log: CatalystLog) -> Int32 {
        switch failure {
        case let .critical(message):
            log.critical(message)
        case let .catalystError(message):
            log.error("CatalystError: \(message)")
            log.uncaught("catalyst.support.CatalystError: \(message)")
        case let .python(e):
            log.uncaught(e.line)
        case let .notSimulated(message):
            CatalystLog.writeAll("catalyst-sim: \(message)\n", to: 2)
        }
        return 1
    }

    /// Reads and parses a spec file, logging the parser's messages.
    static func readSpec(_ file: String, log: CatalystLog) throws -> PyDict {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SimFailure.catalystError("Could not open file \(file)")
        }
        do {
            let result = try SpecParser.spec.parse(String(decoding: data, as: UTF8.self))
            for m in result.messages {
                switch m.level {
                case .warning: log.warning(m.text)
                case .info: log.info(m.text)
                }
            }
            return result.values
        } catch let e as PythonException {
            throw SimFailure.python(e)
        }
    }

    /// `CATALYST_SIM_PARSE_ONLY=1`: the spec as catalyst parses it, as JSON
    /// `{"order": [keys…], "values": {key: string | [strings] | null}}`.
    static func parseOnly(_ opts: CommandLineOptions, log: CatalystLog) -> Int32 {
        guard let file = opts.file else {
            CatalystLog.writeAll("catalyst-sim: CATALYST_SIM_PARSE_ONLY needs -f <spec>\n", to: 2)
            return 2
        }
        do {
            let values = try readSpec(file, log: log)
            var dict: [String: Any] = [:]
            for (k, v) in values.entries { dict[k] = Provenance.jsonValue(v) }
            let doc: [String: Any] = ["order": values.keys, "values": dict]
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])
            CatalystLog.writeAll(String(decoding: data, as: UTF8.self) + "\n", to: 1)
            return 0
        } catch let failure as SimFailure {
            return report(failure, log: log)
        } catch {
            log.uncaught("\(error)")
            return 1
        }
    }
}
