/// The report's one stylesheet (`report.css`): system fonts only, state
/// colours shared with the graph, a single column on narrow screens, and
/// a print layout without navigation that keeps each node on its page.
enum ReportCSS {
    static var text: String {
        var css = """
            :root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; }
            * { box-sizing: border-box; }
            html { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); line-height: 1.45; }
            body { margin: 0 auto; max-width: 80rem; padding: 0 1rem 2rem; }
            code, pre, .log { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
            header { border-bottom: 2px solid var(--line); padding: 1rem 0 0.5rem; }
            h1 { font-size: 1.6rem; margin: 0 0 0.25rem; overflow-wrap: anywhere; }
            h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; margin-top: 2rem; }
            h3 { font-size: 1.05rem; margin: 1rem 0 0.4rem; overflow-wrap: anywhere; }
            h4 { font-size: 0.95rem; margin: 0.8rem 0 0.3rem; }
            a { color: #0b57d0; }
            a:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
            .generated, .source, .none, .empty, .actor, .note { color: var(--muted); }
            nav ul { list-style: none; padding: 0; margin: 0.5rem 0 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
            .scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); padding: 0.5rem; }
            svg.dag { display: block; max-width: none; height: auto; }
            svg.dag a:focus .node path, svg.dag a:focus polygon { stroke-width: 4; }
            svg.durations { display: block; font-size: 12px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
            svg.durations text { fill: var(--fg); }
            figure { margin: 0; }
            figcaption { margin-top: 0.5rem; }
            .legend, .counts, .attention { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4rem 0.8rem; }
            .attention { flex-direction: column; }
            .badge { display: inline-block; border: 1.5px solid; border-radius: 999px; padding: 0 0.55em; font-size: 0.85em; font-weight: 600; white-space: nowrap; }
            dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0.4rem 0; }
            dl.facts dt { font-weight: 600; color: var(--muted); }
            dl.facts dd { margin: 0; overflow-wrap: anywhere; }
            article.node { border: 1px solid var(--line); border-left: 6px solid; border-radius: 6px; padding: 0.2rem 1rem 0.5rem; margin: 0.8rem 0; break-inside: avoid; }
            article.node:target { box-shadow: 0 0 0 3px #0b57d0; }
            pre.log { background: #0d1117; color: #e6edf3; padding: 0.6rem; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 30rem; }
            .message { overflow-wrap: anywhere; }
            ul.why { margin: 0.2rem 0; padding-left: 1.2rem; }
            ol.days { list-style: none; padding-left: 0; border-left: 3px solid var(--line); margin-left: 0.4rem; }
            ol.days > li { padding-left: 1rem; position: relative; margin-bottom: 0.6rem; }
            ol.days > li::before { content: ""; position: absolute; left: -0.5rem; top: 0.35rem; width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--muted); }
            ul.moves { padding-left: 1rem; margin: 0.2rem 0; }
            .move-rollback strong { color: #a00018; }
            .move-promote strong { color: #1b5e20; }
            .result-ok { color: #1b5e20; font-weight: 600; }
            .result-bad { color: #a00018; font-weight: 600; }
            .top { font-size: 0.85em; margin: 0.4rem 0 0; }
            footer { border-top: 1px solid var(--line); margin-top: 2rem; color: var(--muted); font-size: 0.9em; }
            @media (max-width: 40rem) {
              body { padding: 0 0.5rem 1rem; }
              h1 { font-size: 1.3rem; }
              dl.facts { grid-template-columns: 1fr; }
              dl.facts dd { margin-bottom: 0.3rem; }
              svg.durations { width: 100%; height: auto; }
            }
            @media print {
              nav, .top { display: none; }
              body { max-width: none; padding: 0; }
              a { color: inherit; text-decoration: none; }
              .scroll { overflow: visible; border: none; background: none; padding: 0; }
              svg.dag, svg.durations { max-width: 100%; height: auto; }
              pre.log { background: #fff; color: #000; border: 1px solid #999; max-height: none; }
              section { break-before: auto; }
              article.node, .timeline, figure { break-inside: avoid; }
              * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
            }

            """
        for s in NodeState.legend {
            let (fill, stroke) = s.colours
            css += ".badge.\(s.cssClass) { background: \(fill); border-color: \(stroke); color: \(stroke); }\n"
            css += "article.node.\(s.cssClass) { border-left-color: \(stroke); }\n"
        }
        return css
    }
}
