/// One step of a path into a TOML document: a table key or an array index.
/// Paths name what an error is about ("kernel.config", "features[1]") and key
/// the positions `TOMLKeyLocator` finds.
enum TOMLPathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)
}

/// A path into a TOML document, outermost first.
typealias TOMLPath = [TOMLPathComponent]

extension Array where Element == TOMLPathComponent {
    /// `seeds.amd64-openrc.arch`, `spec_extra."stage4/fsscript"`, `features[1]`.
    var rendered: String {
        var out = ""
        for component in self {
            switch component {
            case let .key(k):
                if !out.isEmpty { out += "." }
                out += TOMLKeyLocator.isBareKey(k) ? k : "\"\(k)\""
            case let .index(i):
                out += "[\(i)]"
            }
        }
        return out
    }

    /// The path without trailing array indices: the key a value belongs to.
    var keyOnly: TOMLPath {
        var path = self
        while case .index = path.last { path.removeLast() }
        return path
    }
}

/// A 1-based line and column in a file's text.
struct TOMLPosition: Hashable, Sendable, Comparable {
    var line: Int
    var column: Int

    static func < (a: TOMLPosition, b: TOMLPosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}
