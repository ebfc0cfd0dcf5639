import Foundation

/// The build durations as an inline SVG bar chart, slowest first: one row
/// per stage with its name, a bar in its state's colour and the time as
/// text, each row a link to the node's section. Pure: a string from bars.
enum DurationChart {
    static let rowHeight = 22, labelWidth = 300, barWidth = 420, textWidth = 90

    static func svg(_ bars: [ReportPage.Bar]) -> String {
        let width = labelWidth + barWidth + textWidth
        let height = max(1, bars.count) * rowHeight + 4
        let longest = max(bars.map(\.seconds).max() ?? 0, 0.001)
        var out = "<svg class=\"durations\" role=\"group\" aria-labelledby=\"durations-title\" viewBox=\"0 0 \(width) \(height)\" "
        out += "width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        out += "<title id=\"durations-title\">Build durations, slowest first</title>\n"
        for (i, b) in bars.enumerated() {
            let y = i * rowHeight + 2
            let w = max(2, Int((b.seconds / longest * Double(barWidth)).rounded()))
            let (fill, stroke) = b.state.colours
            let time = duration(b.seconds)
            out += "<a href=\"#\(b.anchor)\" class=\"bar \(b.state.cssClass)\" data-node=\"\(HTML.escape(b.node))\">"
            out += "<title>\(HTML.escape(b.node)): \(time), \(HTML.escape(b.state.word))</title>"
            out += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(HTML.escape(truncated(b.node)))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowHeight - 6)\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>"
            out += "<text x=\"\(labelWidth + w + 6)\" y=\"\(y + 15)\">\(time)</text></a>\n"
        }
        return out + "</svg>"
    }

    /// Long names keep their end (the part that differs): `…/vm/test@testing`.
    static func truncated(_ s: String, max: Int = 38) -> String {
        s.count <= max ? s : "…" + String(s.suffix(max - 1))
    }

    static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.1fs", s) }
        let m = Int(s) / 60, sec = Int(s) % 60
        if m < 60 { return "\(m)m\(String(format: "%02d", sec))s" }
        return "\(m / 60)h\(String(format: "%02d", m % 60))m"
    }
}
