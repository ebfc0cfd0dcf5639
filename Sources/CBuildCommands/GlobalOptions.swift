import ArgumentParser
import CBuildBasics
import Foundation

/// A command whose output is data: it takes `--json` (camelCase keys, like
/// every JSON cbuild writes). `--json` on any other command is a usage error.
protocol PrintsData {}

/// Flags every command takes (SPEC section 7).
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .customShort("C"), help: ArgumentHelp("Use the build directory DIR instead of searching upwards for cbuild.toml.", valueName: "DIR"))
    public var directory: String?

    @Flag(name: .shortAndLong, help: "More detail: catalyst output, clean nodes in explanations.")
    public var verbose = false

    @Flag(name: .shortAndLong, help: "Only errors and warnings.")
    public var quiet = false

    @Flag(help: "Print data as JSON (build, explain, status, graph, history, targets, doctor, nightly, snapshot/seed list and verify).")
    public var json = false

    @Option(help: "Colour: auto, never, always.")
    public var color: String = "auto"

    public init() {}

    public func validate() throws {
        guard Terminal.ColorMode(rawValue: color) != nil else {
            throw ValidationError("--color must be auto, never or always")
        }
    }

    /// The terminal and reporter this invocation writes through.
    public func makeOutput() -> (Terminal, Reporter) {
        let t = Terminal(colorMode: Terminal.ColorMode(rawValue: color) ?? .auto)
        return (t, Reporter(terminal: t, verbose: verbose, quiet: quiet))
    }
}
