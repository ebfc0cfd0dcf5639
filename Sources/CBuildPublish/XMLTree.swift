import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML document as a small tree (EC2's Query API answers in
/// XML): element names without namespaces, text, children in order.
public final class XMLTree: @unchecked Sendable {
    public let name: String
    public fileprivate(set) var text = ""
    public fileprivate(set) var children: [XMLTree] = []

    init(name: String) { self.name = name }

    /// The first direct child named `name`.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// Follows a path of child names: `tree["imagesSet", "item"]`.
    public subscript(_ path: String...) -> XMLTree? {
        var node: XMLTree? = self
        for p in path { node = node?.child(p) }
        return node
    }

    /// Every element named `name` anywhere below, in document order.
    public func all(_ name: String) -> [XMLTree] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.all(name) }
    }

    /// The trimmed text of the first descendant named `name`.
    public func value(_ name: String) -> String? {
        if let c = child(name) { return c.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        for c in children { if let v = c.value(name) { return v } }
        return nil
    }

    /// The root element, or nil when `bytes` is not well-formed XML.
    public static func parse(_ bytes: [UInt8]) -> XMLTree? {
        let parser = XMLParser(data: Data(bytes))
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            let node = XMLTree(name: local)
            stack.last?.children.append(node)
            if stack.isEmpty { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }
}
