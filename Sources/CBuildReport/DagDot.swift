import Foundation

/// The page's DAG as DOT, and dot's SVG made fit to sit inside the page.
enum DagDot {
    /// Names appear only in quoted strings (backslashes and quotes escaped
    /// for DOT); Graphviz escapes them for SVG, and `inline` checks the
    /// result holds no markup of its own.
    static func source(_ page: ReportPage) -> String {
        // The quoted name is the node's id: dot writes it as the node's SVG <title> (its accessible name).
        var ids: [String: String] = [:]
        for n in page.nodes { ids[n.name] = "\"" + quote(n.name) + "\"" }
        var out = "digraph cbuild {\n  rankdir=LR;\n  bgcolor=\"transparent\";\n  nodesep=0.15;\n  ranksep=0.6;\n"
        out += "  node [shape=box, style=\"rounded,filled\", fontname=\"DejaVu Sans Mono,monospace\", fontsize=11, penwidth=1.5];\n"
        out += "  edge [color=\"#5f6368\", arrowsize=0.7];\n"
        for n in page.nodes {
            let (fill, stroke) = n.state.colours
            let stateText = n.state.word
            out += "  \(ids[n.name]!) [id=\"g-\(n.anchor)\", class=\"\(n.state.cssClass)\", label=\"\(quote(n.name))\\n\(quote(stateText))\", "
            out += "URL=\"#\(n.anchor)\", tooltip=\"\(quote(n.name + ": " + n.state.label))\", fillcolor=\"\(fill)\", color=\"\(stroke)\""
            if n.state.needsAttention { out += ", penwidth=3" }
            out += "];\n"
        }
        for e in page.edges { out += "  \(ids[e.from]!) -> \(ids[e.to]!);\n" }
        return out + "}\n"
    }

    static func quote(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// dot's document reduced to its `<svg>` element: no XML declaration,
    /// doctype or comments (a `--` in a name would end one early), an
    /// accessible name (`role="group"`, not `img`, so the nodes' links stay
    /// reachable to assistive technology), natural size kept for the scrolling frame. Refuses SVG that carries script or event handlers.
    static func inline(_ svg: String, label: String) throws -> String {
        guard let start = svg.range(of: "<svg") else { throw ReportError.dotFailed("dot wrote no <svg> element") }
        var body = String(svg[start.lowerBound...])
        while let c = body.range(of: "<!--"), let e = body.range(of: "-->", range: c.upperBound..<body.endIndex) {
            body.removeSubrange(c.lowerBound..<e.upperBound)
        }
        // Tags only: attribute values and text (where names and messages are, escaped) taken out first.
        let tags = body.lowercased()
            .replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
            .replacingOccurrences(of: #">[^<]*<"#, with: "><", options: .regularExpression)
        if tags.contains("<script") || tags.contains("<foreignobject") || tags.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) != nil {
            throw ReportError.dotFailed("the SVG from dot holds markup the report does not allow (script or event handler)")
        }
        body = body.replacingOccurrences(of: "<svg ", with: "<svg role=\"group\" aria-label=\"\(HTML.escape(label))\" class=\"dag\" ",
                                         options: [], range: body.startIndex..<body.index(body.startIndex, offsetBy: 4 + 1))
        return body.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
