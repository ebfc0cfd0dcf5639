import Foundation

// cbuild-bench: release-mode benchmarks that print plain tables with ratios
// against baselines run in the same process. One case per benchmark file.

let usage = """
    usage: cbuild-bench BENCHMARK [OPTIONS]

    benchmarks:
      hashing [--size-mb N] [--repeat N] [--files N]
          first-time file hashing vs openssl and sha256sum, parallel hashing,
          and digest-cache re-check rate
      graph [--nodes N] [--files N] [--repeat N] [--keep]
          no-op build and status on a synthetic graph vs ninja and make
      cache [--size-mb N] [--repeat N]
          remote-cache upload and download throughput vs curl on loopback nginx WebDAV
      cache-hit [--size-mb N] [--repeat N]
          a cache hit for a big stage (default 1024 MiB) through cbuild and the
          catalyst simulator vs local reuse, curl + sha256sum and cp
          (needs cbuild and catalyst-sim beside it and 4 × N MiB free in $TMPDIR)
      manifest [--size-mb N] [--packages N] [--repeat N]
          a stage's package manifest (default 1024 MiB .tar.xz) vs
          tar -xJf STAGE var/db/pkg
      publish [--size-gb N] [--data-mb N] [--concurrency N]
          a sparse raw image (default 8 GiB, 1 GiB of data) published as an AMI
          to moto on 127.0.0.1 vs boto3 making the same calls
      images [WORKDIR]
          raw image assembly from a ~1 GB stage4 vs the plain shell pipeline
          (tar + mkfs.ext4 -d + qemu-img)

    """

var arguments = Array(CommandLine.arguments.dropFirst())
let name = arguments.isEmpty ? nil : arguments.removeFirst()
do {
    switch name {
    case "hashing":
        try HashingBenchmark(arguments: arguments).run()
    case "graph":
        try await GraphBenchmark(arguments: arguments).run()
    case "cache":
        try CacheBenchmark(arguments: arguments).run()
    case "cache-hit":
        try CacheHitBenchmark(arguments: arguments).run()
    case "manifest":
        try ManifestBenchmark(arguments: arguments).run()
    case "publish":
        try await PublishBenchmark(arguments: arguments).run()
    case "images":
        await ImageBenchmark.main(arguments)
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
