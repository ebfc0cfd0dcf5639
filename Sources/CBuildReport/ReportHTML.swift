import CBuildGraph
import Foundation

/// Renders the page model to `index.html`: semantic sections, every value
/// through `HTML.escape`, every state as colour *and* word, no script.
/// Pure: the same page and SVG give the same bytes.
public enum ReportHTML {
    public static let stylesheet = "report.css"

    /// - Parameters:
    ///   - dag: the graph as inline SVG (from `dot`), already checked.
    ///   - nightlySource: where the nightly's result was read from, shown under its heading.
    public static func render(_ page: ReportPage, dag: String, nightlySource: String? = nil) -> String {
        let e = HTML.escape
        var h = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="cbuild report">
            <title>cbuild report: \(e(page.project))</title>
            <link rel="stylesheet" href="\(stylesheet)">
            </head>
            <body>
            <header>
            <h1>cbuild report: <span class="project">\(e(page.project))</span></h1>
            <p class="generated">Generated \(time(page.generatedAt)) · \(page.nodes.count) nodes</p>
            <nav aria-label="Sections"><ul>
            <li><a href="#summary">Summary</a></li>\(page.nightly == nil ? "" : "<li><a href=\"#nightly\">Nightly</a></li>")
            <li><a href="#graph">Graph</a></li>
            <li><a href="#durations">Durations</a></li>
            <li><a href="#roles">Roles</a></li>
            <li><a href="#nodes">Nodes</a></li>
            </ul></nav>
            </header>
            <main>

            """
        h += summary(page)
        if let n = page.nightly { h += nightly(n, page: page, source: nightlySource) }
        h += """
            <section id="graph" aria-labelledby="graph-h">
            <h2 id="graph-h">Dependency graph</h2>
            <p>Inputs on the left, what they build on the right. Each node shows its state in words and colour; select one to go to its section.</p>
            <figure>
            <div class="scroll">\(dag)</div>
            <figcaption>\(legend())</figcaption>
            </figure>
            </section>

            """
        h += durations(page)
        h += roles(page)
        h += nodes(page)
        h += "</main>\n<footer><p>Written by <code>cbuild report</code>; paths are relative to the build directory.</p></footer>\n</body>\n</html>\n"
        return h
    }

    static func badge(_ s: NodeState) -> String {
        "<span class=\"badge \(s.cssClass)\">\(HTML.escape(s.word))</span>"
    }

    static func legend() -> String {
        "<ul class=\"legend\" aria-label=\"States\">" + NodeState.legend.map { "<li>\(badge($0))</li>" }.joined() + "</ul>"
    }

    static func link(_ node: String, _ page: ReportPage) -> String {
        guard let n = page.node(node) else { return "<code>\(HTML.escape(node))</code>" }
        return "<a href=\"#\(n.anchor)\"><code>\(HTML.escape(node))</code></a>"
    }

    static func summary(_ page: ReportPage) -> String {
        var h = "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n"
        if page.nodes.isEmpty { return h + "<p>No nodes.</p>\n</section>\n" }
        h += "<ul class=\"counts\">"
        for (s, c) in page.stateCounts { h += "<li>\(badge(s)) <strong>\(c)</strong></li>" }
        h += "</ul>\n"
        let attention = page.nodes.filter { $0.state.needsAttention }
        if !attention.isEmpty {
            // One line per cause: a missing role blocks every node on it, and they are read as one problem.
            var groups: [(state: NodeState, nodes: [String])] = []
            for n in attention {
                if let i = groups.firstIndex(where: { $0.state == n.state }) { groups[i].nodes.append(n.name) }
                else { groups.append((n.state, [n.name])) }
            }
            h += "<h3>Needs attention</h3>\n<ul class=\"attention\">"
            for g in groups {
                h += "<li>\(badge(g.state))"
                if case let .blocked(by) = g.state, !by.isEmpty { h += " by <span class=\"cause\">\(HTML.escape(by))</span>" }
                h += " (\(g.nodes.count)): " + g.nodes.map { link($0, page) }.joined(separator: ", ") + "</li>"
            }
            h += "</ul>\n"
        }
        if !page.nodes.contains(where: { $0.current != nil || $0.failedAttempt != nil }) {
            h += "<p class=\"empty\">Nothing has been built in this directory yet.</p>\n"
        }
        return h + "</section>\n"
    }

    static func nightly(_ n: ReportPage.Nightly, page: ReportPage, source: String?) -> String {
        let e = HTML.escape
        var h = "<section id=\"nightly\" aria-labelledby=\"nightly-h\">\n<h2 id=\"nightly-h\">Nightly</h2>\n"
        if let source { h += "<p class=\"source\">From <code>\(e(source))</code>.</p>\n" }
        let result = n.interrupted ? "interrupted" : n.exitStatus == 0 ? "succeeded" : "failed (exit \(n.exitStatus))"
        h += "<dl class=\"facts\">"
        h += "<dt>Started</dt><dd>\(time(n.startedAt))</dd>"
        if let f = n.finishedAt { h += "<dt>Took</dt><dd>\(DurationChart.duration(f.timeIntervalSince(n.startedAt)))</dd>" }
        h += "<dt>Result</dt><dd class=\"result-\(n.exitStatus == 0 && !n.interrupted ? "ok" : "bad")\">\(result)</dd>"
        h += "<dt>Fetched</dt><dd>\(n.fetched.map { "<code>\(e($0))</code>" } ?? "nothing new")</dd>"
        h += "<dt>Testing</dt><dd>\(e(n.testing ?? "-"))</dd>"
        h += "<dt>Promoted</dt><dd>" + (n.promoted ? "yes: stable \(e(n.stableBefore ?? "-")) → \(e(n.stableAfter ?? "-"))"
                                        : "no: stable stays at \(e(n.stableAfter ?? n.stableBefore ?? "-"))") + "</dd>"
        if let runs = n.stableCatalystRuns { h += "<dt>Stable after promotion</dt><dd>\(runs) catalyst run(s)</dd>" }
        h += "</dl>\n"
        func list(_ title: String, _ cls: String, _ entries: [ReportPage.Nightly.Entry]) {
            h += "<h3>\(title) <span class=\"count\">(\(entries.count))</span></h3>\n"
            if entries.isEmpty { h += "<p class=\"none\">none</p>\n"; return }
            h += "<ul class=\"nightly-\(cls)\">"
            for x in entries {
                h += "<li>\(link(x.node, page)) · \(DurationChart.duration(x.seconds))" + (x.required ? "" : " · optional")
                if let m = x.message, cls == "failed" || cls == "skipped" {
                    h += ": <span class=\"message\">\(e(String(m.split(separator: "\n").first ?? "")))</span>"
                }
                h += "</li>"
            }
            h += "</ul>\n"
        }
        list("Built", "built", n.built)
        list("Reused or up to date", "reused", n.reused)
        if !n.fromCache.isEmpty { list("From the shared cache", "cache", n.fromCache) }
        list("Failed", "failed", n.failed)
        if !n.skipped.isEmpty { list("Not started", "skipped", n.skipped) }
        return h + "</section>\n"
    }

    static func durations(_ page: ReportPage) -> String {
        var h = "<section id=\"durations\" aria-labelledby=\"durations-h\">\n<h2 id=\"durations-h\">Build durations</h2>\n"
        if page.bars.isEmpty { return h + "<p class=\"none\">No stage has a recorded build yet.</p>\n</section>\n" }
        h += "<p>Each stage's current build (or its failed attempt), slowest first.</p>\n"
        h += "<div class=\"scroll\">" + DurationChart.svg(page.bars) + "</div>\n"
        return h + "</section>\n"
    }

    static func roles(_ page: ReportPage) -> String {
        let e = HTML.escape
        var h = "<section id=\"roles\" aria-labelledby=\"roles-h\">\n<h2 id=\"roles-h\">Snapshot and seed roles</h2>\n"
        if page.timelines.isEmpty { return h + "<p class=\"none\">No role has moved yet (nothing fetched or promoted).</p>\n</section>\n" }
        for t in page.timelines {
            h += "<article class=\"timeline\" data-role=\"\(e(t.kind + ":" + t.name + ":" + t.role))\">\n<h3>\(e(t.title))</h3>\n<ol class=\"days\">\n"
            for d in t.days {
                h += "<li><h4><time datetime=\"\(d.date)\">\(d.date)</time></h4>\n<ul class=\"moves\">"
                for m in d.moves {
                    h += "<li class=\"move move-\(e(m.reason))\"><time datetime=\"\(iso(m.at))\">\(clock(m.at))</time> "
                    h += "<strong>\(e(m.reason))</strong> "
                    h += m.from.map { "\(e($0)) → " } ?? ""
                    h += "<code>\(e(m.to))</code> <span class=\"actor\">by \(e(m.actor))</span>"
                    if let note = m.note, !note.isEmpty { h += " <span class=\"note\">(\(e(note)))</span>" }
                    h += "</li>"
                }
                h += "</ul>\n"
                if !d.builds.isEmpty {
                    h += "<p class=\"builds\">Builds that day: " + d.builds.map {
                        "\(link($0.node, page)) <span class=\"build-state\">\(e($0.state))</span>"
                    }.joined(separator: ", ") + "</p>\n"
                }
                h += "</li>\n"
            }
            h += "</ol>\n</article>\n"
        }
        return h + "</section>\n"
    }

    static func nodes(_ page: ReportPage) -> String {
        let e = HTML.escape
        var h = "<section id=\"nodes\" aria-labelledby=\"nodes-h\">\n<h2 id=\"nodes-h\">Nodes</h2>\n"
        for n in page.nodes {
            h += "<article id=\"\(n.anchor)\" class=\"node \(n.state.cssClass)\" data-node=\"\(e(n.name))\" data-state=\"\(n.state.slug)\">\n"
            h += "<h3><code>\(e(n.name))</code> \(badge(n.state))</h3>\n"
            h += "<dl class=\"facts\"><dt>Kind</dt><dd>\(e(n.kind.rawValue))</dd><dt>Now</dt><dd>\(e(n.verdict))"
            if case .blocked = n.state { h += ": \(e(n.state.label))" }
            h += "</dd>"
            if let c = n.current {
                h += "<dt>Current build</dt><dd><code title=\"key prefix\">\(e(c.keyPrefix))</code> · \(e(c.state))"
                h += " · \(time(c.startedAt))" + (c.seconds.map { " · \(DurationChart.duration($0))" } ?? "") + "</dd>"
                if let cat = c.catalyst { h += "<dt>Catalyst</dt><dd>\(e(cat))</dd>" }
                if let o = c.output { h += "<dt>Output</dt><dd><code>\(e(o))</code></dd>" }
            } else {
                h += "<dt>Current build</dt><dd>none</dd>"
            }
            if !n.dependencies.isEmpty {
                h += "<dt>Inputs</dt><dd>" + n.dependencies.sorted().map { link($0, page) }.joined(separator: " ") + "</dd>"
            }
            if let s = n.security {
                // Only when a ReportSecuritySource knew something about this node.
                h += "<dt>Packages</dt><dd>\(s.packageCount)</dd>"
                h += "<dt>Advisories</dt><dd>" + (s.advisories.isEmpty ? "none open" : "<ul class=\"advisories\">" + s.advisories.map {
                    "<li class=\"severity-\(e($0.severity))\"><strong>\(e($0.id))</strong> \(e($0.title)) · <code>\(e($0.package))</code> · \(e($0.severity))</li>"
                }.joined() + "</ul>") + "</dd>"
            }
            h += "</dl>\n"
            if !n.why.isEmpty { h += "<h4>Why it would run now</h4>\n" + whyList(n.why, page) }
            if let f = n.failedAttempt {
                h += "<div class=\"attempt\" role=\"group\" aria-label=\"last attempt\">\n<h4>Last attempt: \(e(f.state)) at \(time(f.startedAt))"
                h += (f.seconds.map { " after \(DurationChart.duration($0))" } ?? "") + "</h4>\n"
                if let m = f.message { h += "<p class=\"message\">\(e(m))</p>\n" }
                if !f.logTail.isEmpty {
                    h += "<pre class=\"log\" aria-label=\"last lines of the log\">" + f.logTail.map(e).joined(separator: "\n") + "</pre>\n"
                }
                if let copy = f.logCopy {
                    h += "<p><a class=\"log-link\" href=\"\(HTML.href(copy))\">Whole log</a> (<code>\(e(f.logPath ?? copy))</code>)</p>\n"
                } else if let p = f.logPath {
                    h += "<p>Log: <code>\(e(p))</code> (not found)</p>\n"
                }
                h += "</div>\n"
            }
            h += "<p class=\"top\"><a href=\"#graph\">back to the graph</a></p>\n</article>\n"
        }
        return h + "</section>\n"
    }

    static func whyList(_ items: [ReportPage.Why], _ page: ReportPage) -> String {
        "<ul class=\"why\">" + items.map { w in
            var text = HTML.escape(w.text)
            if let node = w.node, let n = page.node(node) {
                // The node's name in the text becomes a link to its section.
                let name = HTML.escape(node)
                if let r = text.range(of: name) {
                    text.replaceSubrange(r, with: "<a href=\"#\(n.anchor)\">\(name)</a>")
                }
            }
            return "<li>\(text)" + (w.causes.isEmpty ? "" : whyList(w.causes, page)) + "</li>"
        }.joined() + "</ul>\n"
    }

    static func formatter(_ format: String) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = format
        return f
    }

    static func time(_ d: Date) -> String {
        "<time datetime=\"\(iso(d))\">\(formatter("yyyy-MM-dd HH:mm").string(from: d)) UTC</time>"
    }

    static func clock(_ d: Date) -> String { formatter("HH:mm").string(from: d) }
    static func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }
}
