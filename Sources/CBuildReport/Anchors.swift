/// Section ids for node names: letters, digits and `-` only (`stage4/vm/test@testing`
/// → `node-stage4-vm-test-testing`), made unique when two names map to one.
struct Anchors {
    private var map: [String: String] = [:]
    init(_ names: [String]) {
        var used = Set<String>()
        for n in names where map[n] == nil {
            let base = "node-" + String(n.unicodeScalars.map { s -> Character in
                ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) ? Character(s) : "-"
            })
            var a = base, i = 2
            while used.contains(a) { a = "\(base)-\(i)"; i += 1 }
            used.insert(a); map[n] = a
        }
    }
    subscript(_ name: String) -> String { map[name] ?? "node" }
}
