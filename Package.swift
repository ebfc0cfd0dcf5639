// swift-tools-version:6.0
// cbuild — an incremental, content-hashing build engine for Gentoo release engineering.
// Layers are SwiftPM targets so the compiler holds their direction:
// Basics <- Config, State <- Graph <- Catalyst, Artifacts <- Project <- Report <- Commands <- cbuild;
// State <- Security (manifests, GLSAs, audit) <- Project.
import PackageDescription

let package = Package(
    name: "cbuild",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cbuild", targets: ["cbuild"]),
        .executable(name: "catalyst-sim", targets: ["catalyst-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // OpenSSL libcrypto: SHA-256, SHA-512, BLAKE2b-512, HMAC.
        .systemLibrary(name: "CLibCrypto", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        // libcurl loaded on first use instead of at process start (FoundationNetworking
        // calls it; see curl_loader.c): the empty linker script in link/ answers `-lcurl`.
        .target(name: "CCurlLoader", exclude: ["link"],
                linkerSettings: [.unsafeFlags(["-L", Context.packageDirectory + "/Sources/CCurlLoader/link"])]),
        // The process watching its own file-system reads (libc's file functions defined
        // here, passed on to libc): what a no-op record is made of (read_trace.c).
        .target(name: "CReadTrace"),
        // SQLite, libxml2 and libcrypto loaded on their first call (lazy_libraries.c):
        // every function cbuild imports from them is a stub here; scripts/release-build
        // removes the libraries from the executables' needed list.
        .target(name: "CLazyLibraries"),
        // Bottom layer: digests, file system, processes, clock, diagnostics. Never prints.
        .target(name: "CBuildBasics", dependencies: ["CLibCrypto", "CReadTrace", "CLazyLibraries"]),
        // The build directory: discovery, cbuild.toml, targets, features, fleets, validation.
        .target(name: "CBuildConfig", dependencies: [
            "CBuildBasics", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // Persistent facts in .cache/state.db (GRDB, migrations), digest cache, directory lock.
        .target(name: "CBuildState", dependencies: [
            "CBuildBasics", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The generic engine: nodes, rules, keys, plan, execution, explanations.
        .target(name: "CBuildGraph", dependencies: ["CBuildBasics", "CBuildState"]),
        // Catalyst rule family: catalyst.conf, spec rendering, running catalyst.
        .target(name: "CBuildCatalyst", dependencies: [
            "CBuildBasics", "CBuildConfig", "CBuildState", "CBuildGraph",
        ]),
        // Snapshot and seed downloads, signature/digest verification, roles, cbuild.lock.
        .target(name: "CBuildArtifacts", dependencies: [
            "CBuildBasics", "CBuildConfig", "CBuildState", "CBuildGraph", "CCurlLoader",
        ]),
        // Shared remote cache of action outputs: bazel-remote/WebDAV HTTP (ac/ + cas/),
        // signed records (HMAC-SHA256 or OpenPGP), streaming transfers.
        .target(name: "CBuildCache", dependencies: [
            "CLibCrypto", "CBuildBasics", "CBuildGraph", "CBuildState", "CCurlLoader",
        ]),
        // Image rule family: raw/qcow2/vhd/vmdk disk images from stage4 outputs, boot tests.
        .target(name: "CBuildImages", dependencies: [
            "CBuildBasics", "CBuildConfig", "CBuildGraph", "CBuildCatalyst",
        ]),
        // Security: PMS versions, stage package manifests from /var/db/pkg, GLSAs
        // from snapshots, portage's matching rules, audits and package diffs.
        .target(name: "CBuildSecurity", dependencies: ["CBuildBasics", "CBuildState"]),
        // Publishing images to clouds: AMIs through the EBS direct APIs and EC2 (SigV4-signed),
        // Azure page blobs through a SAS URL; nodes keyed by the image's content.
        .target(name: "CBuildPublish", dependencies: [
            "CLibCrypto", "CBuildBasics", "CBuildConfig", "CBuildGraph", "CBuildImages", "CCurlLoader",
        ]),
        // Assembles the whole graph from the configuration; opens a workspace
        // (lock, database, moved-directory check) for a command.
        .target(name: "CBuildProject", dependencies: [
            "CBuildBasics", "CBuildConfig", "CBuildState", "CBuildGraph",
            "CBuildCatalyst", "CBuildArtifacts", "CBuildImages", "CBuildCache", "CBuildSecurity", "CBuildPublish",
        ]),
        // The static HTML report: a page model from state + plan, pure HTML/SVG rendering, `dot` behind a protocol.
        .target(name: "CBuildReport", dependencies: [
            "CBuildBasics", "CBuildState", "CBuildGraph", "CBuildCatalyst", "CBuildProject",
        ]),
        // One file per command, the reporter (the only writer to the terminal).
        .target(name: "CBuildCommands", dependencies: [
            "CBuildBasics", "CBuildConfig", "CBuildState", "CBuildGraph",
            "CBuildCatalyst", "CBuildArtifacts", "CBuildImages", "CBuildProject", "CBuildSecurity", "CBuildReport", "CBuildPublish",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The `cbuild` executable: calls the root command, nothing else.
        .executableTarget(name: "cbuild", dependencies: ["CBuildCommands"], plugins: ["BuildStamp"]),
        // Stamps the cbuild executable with the git commit it is built from (`cbuild --version`).
        .plugin(name: "BuildStamp", capability: .buildTool()),
        // Catalyst simulator for tests and the demo; follows catalyst's rules, never a real build
        // (CBuildSecurity only for PMS version order: emerge picks the best ebuild).
        .executableTarget(name: "catalyst-sim", dependencies: ["CBuildBasics", "CBuildSecurity"]),
        // Release-mode benchmarks that print ratios against baselines run in the same process.
        .executableTarget(name: "cbuild-bench", dependencies: [
            "CBuildBasics", "CBuildState", "CBuildGraph", "CBuildConfig", "CBuildProject", "CBuildCache", "CBuildImages", "CBuildPublish",
            "CBuildSecurity",
        ], path: "Benchmarks/cbuild-bench"),

        // Shared test fixtures: temporary build directories, built executables,
        // gpg keys, an nginx mirror on 127.0.0.1. Used by test targets only.
        .target(name: "CBuildTestSupport", dependencies: ["CBuildBasics"], path: "Tests/CBuildTestSupport"),

        .testTarget(name: "CBuildBasicsTests", dependencies: ["CBuildBasics", "CReadTrace", "CBuildTestSupport"]),
        .testTarget(name: "CBuildConfigTests", dependencies: ["CBuildConfig", "CBuildTestSupport"]),
        .testTarget(name: "CBuildStateTests", dependencies: ["CBuildState", "CBuildTestSupport"]),
        .testTarget(name: "CBuildGraphTests", dependencies: ["CBuildGraph", "CBuildState", "CBuildTestSupport"]),
        .testTarget(name: "CBuildCatalystTests", dependencies: ["CBuildCatalyst", "CBuildConfig", "CBuildTestSupport"]),
        .testTarget(name: "CBuildArtifactsTests", dependencies: ["CBuildArtifacts", "CBuildTestSupport"]),
        .testTarget(name: "CBuildImagesTests", dependencies: ["CBuildImages", "CBuildTestSupport"]),
        .testTarget(name: "CBuildPublishTests", dependencies: ["CBuildPublish", "CBuildConfig", "CBuildTestSupport"]),
        .testTarget(name: "CBuildCacheTests", dependencies: ["CBuildCache", "CBuildTestSupport"]),
        .testTarget(name: "CBuildSecurityTests", dependencies: ["CBuildSecurity", "CBuildTestSupport"]),
        .testTarget(name: "CBuildProjectTests", dependencies: ["CBuildProject", "CBuildTestSupport"]),
        .testTarget(name: "CBuildReportTests", dependencies: [
            "CBuildReport", "CBuildGraph", "CBuildState", "CBuildProject", "CBuildTestSupport",
        ]),
        .testTarget(name: "CBuildCommandsTests", dependencies: ["CBuildCommands", "CBuildTestSupport"]),
    ]
)
