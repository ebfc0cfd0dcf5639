import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads one GLSA XML document with Foundation's `XMLParser` (libxml2; no
/// external entities or DTDs are fetched) into an `Advisory`. Structure
/// errors — missing `<title>`, a range operator portage does not know, a
/// version that is not a PMS version, an id that does not match the file
/// name — are thrown as an `AdvisoryProblem`, as portage's
/// `GlsaFormatException` would stop `glsa-check` on them.
public enum AdvisoryParser {
    /// A minimal element tree; GLSAs are a few kilobytes.
    final class Element {
        let name: String
        let attributes: [String: String]
        var children: [Element] = []
        var text = ""
        init(name: String, attributes: [String: String]) { self.name = name; self.attributes = attributes }

        func first(_ name: String) -> Element? { children.first { $0.name == name } }
        func all(_ name: String) -> [Element] { children.filter { $0.name == name } }
        /// All text below, whitespace collapsed (the way glsa-check shows it).
        var flatText: String {
            var s = text
            for c in children { s += " " + c.flatText }
            return s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
        }
    }

    /// The parser's delegate: builds the element tree, remembers where the first error was.
    final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?
        /// Where the first error was seen (libxml2 moves on before reporting it).
        var errorLine: Int?
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if errorLine == nil { errorLine = parser.lineNumber }
        }
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let e = Element(name: elementName, attributes: attributeDict)
            if let parent = stack.last { parent.children.append(e) } else if root == nil { root = e }
            stack.append(e)
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            _ = stack.popLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
        }
    }

    /// libxml2's error as words (`tagNameMismatchError` → "tag name mismatch").
    static func describe(_ error: NSError) -> String {
        guard let code = XMLParser.ErrorCode(rawValue: error.code) else { return "XML error \(error.code)" }
        var name = String(describing: code)
        if name.hasSuffix("Error") { name.removeLast(5) }
        var words = ""
        for c in name { if c.isUppercase { words += " " + c.lowercased() } else { words.append(c) } }
        return words + " (libxml2 error \(error.code))"
    }

    /// Parses the bytes of `file` (its path inside the tree, for messages and the id check).
    public static func parse(_ data: Data, file: String) throws -> Advisory {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        let builder = TreeBuilder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { Self.describe($0 as NSError) } ?? "not an XML document"
            let line = builder.errorLine ?? (parser.lineNumber > 0 ? parser.lineNumber : nil)
            throw AdvisoryProblem(file: file, line: line, message: "malformed XML: \(reason)")
        }
        func fail(_ message: String) -> AdvisoryProblem { AdvisoryProblem(file: file, message: message) }
        guard root.name == "glsa" else { throw fail("the root element is <\(root.name)>, not <glsa>") }
        guard let id = root.attributes["id"], !id.isEmpty else { throw fail("<glsa> has no id attribute") }
        let base = (file as NSString).lastPathComponent
        if base.hasPrefix("glsa-") && base.hasSuffix(".xml") {
            let fromName = String(base.dropFirst(5).dropLast(4))
            guard fromName == id else { throw fail("the file name says \(fromName) but <glsa id> is \(id)") }
        }
        guard let title = root.first("title")?.flatText, !title.isEmpty else { throw fail("no <title>") }
        guard let impact = root.first("impact") else { throw fail("no <impact>") }
        guard let severity = Advisory.Severity(rawValue: impact.attributes["type"] ?? "") else {
            throw fail("<impact type=\"\(impact.attributes["type"] ?? "")\"> is not low, normal or high")
        }
        guard let affected = root.first("affected") else { throw fail("no <affected>") }
        var packages: [Advisory.AffectedPackage] = []
        for p in affected.all("package") {
            let name = p.attributes["name"] ?? ""
            guard let package = PackageName(name) else { throw fail("invalid package name: '\(name)'") }
            let arch = p.attributes["arch"] ?? ""
            guard arch == "*" || (!arch.isEmpty && arch.allSatisfy({ $0 == " " || $0 == "-" || $0 == "_" || $0.isLowercaseASCIILetter || $0.isASCIIDigit })) else {
                throw fail("unrecognised arch list for \(name) (wrong delimiter?): '\(arch)'")
            }
            func ranges(_ tag: String) throws -> [VersionRange] {
                try p.all(tag).map { e in
                    let rangeText = e.attributes["range"] ?? ""
                    guard let op = VersionRange.Operator(rawValue: rangeText) else {
                        throw fail("invalid range found for '\(name)': '\(rangeText)'")
                    }
                    let text = e.flatText
                    guard let version = PackageVersion(text) else {
                        throw fail("<\(tag)> of \(name) holds '\(text)', which is not a version")
                    }
                    return VersionRange(op: op, version: version, slot: e.attributes["slot"]?.trimmingCharacters(in: .whitespaces))
                }
            }
            packages.append(.init(package: package, arch: arch, auto: p.attributes["auto"] == "yes",
                                  vulnerable: try ranges("vulnerable"), unaffected: try ranges("unaffected")))
        }
        return Advisory(id: id, title: title, synopsis: root.first("synopsis")?.flatText ?? "",
                        severity: severity, announced: root.first("announced")?.flatText ?? "",
                        revised: root.first("revised")?.flatText ?? "",
                        bugs: root.all("bug").map(\.flatText),
                        packages: packages, resolution: root.first("resolution")?.flatText ?? "")
    }
}

