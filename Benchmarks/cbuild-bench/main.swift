import Foundation

// cbuild-bench: release-mode benchmarks that print plain tables with ratios
// against baselines run in the same process. One case per benchmark file.

let usage = """
    usage: cbuild-bench BENCHMARK [OPTIONS]

    benchmarks:
      graph [--nodes N] [--files N] [--repeat N] [--keep]
          no-op build and status on a synthetic graph vs ninja and make

    """

var arguments = Array(CommandLine.arguments.dropFirst())
let name = arguments.isEmpty ? nil : arguments.removeFirst()
do {
    switch name {
    case "graph":
        try await GraphBenchmark(arguments: arguments).run()
    case "-h", "--help", "help":
        print(usage, terminator: "")
    default:
        FileHandle.standardError.write(Data(((name.map { "unknown benchmark '\($0)'\n" } ?? "") + usage).utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("cbuild-bench: \(error)\n".utf8))
    exit(1)
}
