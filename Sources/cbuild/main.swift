import CBuildCommands
import Foundation

// The executable only hands the arguments to the root command.
let status = await CBuildMain.run(Array(CommandLine.arguments.dropFirst()))
exit(status)
