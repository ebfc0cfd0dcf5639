/// An insertion-ordered dictionary of values, like a Python dict: assigning an
/// existing key keeps its original position.
struct PyDict: Sendable, Equatable {
    private(set) var keys: [String] = []
    private var storage: [String: PyValue] = [:]

    init() {}

    subscript(key: String) -> PyValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage[key] == nil { keys.append(key) }
                storage[key] = newValue
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    func contains(_ key: String) -> Bool { storage[key] != nil }

    var entries: [(key: String, value: PyValue)] { keys.map { ($0, storage[$0]!) } }

    var isEmpty: Bool { keys.isEmpty }

    /// Python's `repr(dict)`.
    var pyRepr: String {
        "{" + entries.map { PyString.repr($0.key) + ": " + $0.value.pyRepr }.joined(separator: ", ") + "}"
    }
}
