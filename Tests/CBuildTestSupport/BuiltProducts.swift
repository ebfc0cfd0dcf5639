import Foundation

/// Locates executables built by SwiftPM next to the test bundle
/// (`.build/<config>/cbuild`, `.build/<config>/catalyst-sim`), so end-to-end
/// tests run the real binaries as a user would.
public enum BuiltProducts {
    /// The directory holding the package's built products.
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["CBUILD_PRODUCTS_DIR"] { return override }
        // The test runner executable lives in the products directory
        // (…/debug/cbuildPackageTests.xctest on Linux).
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            let candidate = url.deletingLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("cbuild").path) {
                return candidate.path
            }
            url = candidate
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// The package root (where Package.swift is), for reading the example directory.
    public static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }
}
