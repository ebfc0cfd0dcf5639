import Foundation

// catalyst-sim: a simulator of Gentoo's catalyst for tests and demos. It
// follows catalyst's rules (see docs/catalyst-simulator.md) and never
// builds anything.
exit(CatalystSimulator.run(arguments: Array(CommandLine.arguments.dropFirst()),
                           environment: ProcessInfo.processInfo.environment))
