import Foundation

/// Reads a growing console log from where it stood when watching began
/// and tells whether the marker has appeared (also across two reads).
final class ConsoleWatcher {
    let path: String
    let marker: [UInt8]
    private var offset: UInt64
    private var tail: [UInt8] = []

    init(path: String, marker: String) {
        self.path = path
        self.marker = Array(marker.utf8)
        offset = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
    }

    func poll() -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        guard (try? h.seek(toOffset: offset)) != nil, let data = try? h.readToEnd(), !data.isEmpty else { return false }
        offset += UInt64(data.count)
        let text = tail + [UInt8](data)
        if Self.contains(text, marker) { return true }
        tail = Array(text.suffix(max(0, marker.count - 1)))
        return false
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<i + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
