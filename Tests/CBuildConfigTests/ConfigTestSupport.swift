import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing
@testable import CBuildConfig

/// Every path under `root` with its size, to prove a failed load wrote nothing.
func treeListing(_ root: String) -> [String] {
    var out: [String] = []
    guard let walker = FileManager.default.enumerator(atPath: root) else { return out }
    while let relative = walker.nextObject() as? String {
        let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + relative)[.size] as? Int) ?? -1
        out.append("\(relative) \(size)")
    }
    return out.sorted()
}

/// A fixture directory with `overriding` applied, loaded; the test owns removal.
func fixture(_ overriding: [String: String?] = [:]) throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory(prefix: "cbuild-config")
    try ConfigFixtures.write(into: dir, overriding: overriding)
    return dir
}

/// Loads `dir`, which must fail with a `ConfigError` at `file`:`line` about
/// `key`, exit status 2, and leave the directory exactly as it was.
@discardableResult
func expectLoadError(_ dir: TemporaryDirectory, file: String, line: Int?, key: String?, contains: String,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ConfigError? {
    let before = treeListing(dir.path)
    defer {
        #expect(treeListing(dir.path) == before, "a failed load changed the directory", sourceLocation: sourceLocation)
    }
    do {
        _ = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        Issue.record("load succeeded; expected an error about \(key ?? file)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ConfigError {
        let text = error.description
        #expect(error.exitStatus == .usage, sourceLocation: sourceLocation)
        #expect(error.location?.file == file, "\(text)", sourceLocation: sourceLocation)
        if let line {
            #expect(text.hasPrefix("\(file):\(line):"), "\(text)", sourceLocation: sourceLocation)
        }
        if let key {
            #expect(error.location?.key == key, "\(text)", sourceLocation: sourceLocation)
        }
        #expect(text.contains(contains), "\(text) | hint: \(error.hint ?? "-")", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
