switch CommandLine.arguments.dropFirst().first {
case "images": await ImageBenchmark.main(Array(CommandLine.arguments.dropFirst(2)))
default: print("bench")
}
