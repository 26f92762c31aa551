/** The lecture pages' own stylesheet (written to assets/lecture.css): readable text, quiet code, outputs set off by a rule. */
export const LECTURE_CSS = `:root {
  --text: #1f2328; --muted: #656d76; --rule: #d0d7de; --code-bg: #f6f8fa; --accent: #0b5cad;
  --ok: #1a7f37; --bad: #cf222e; --warn-bg: #fff8e6;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--text); background: #fff;
  font: 17px/1.6 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
}
main { max-width: 980px; margin: 0 auto; padding: 1rem 1.25rem 4rem; }
a { color: var(--accent); }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.6em 0 0.5em; }
h1 { font-size: 2rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.3em; }
h2 { font-size: 1.5rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2em; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86em; }
:not(pre) > code { background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; }
pre { overflow-x: auto; padding: 0.75rem 1rem; margin: 0; white-space: pre; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid var(--rule); padding: 0.3em 0.7em; }
th { background: var(--code-bg); text-align: left; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 0.3em; }
img { max-width: 100%; height: auto; }
blockquote { margin: 0; padding: 0 1em; color: var(--muted); border-left: 4px solid var(--rule); }
.topbar {
  position: sticky; top: 0; z-index: 10; display: flex; gap: 1.5rem; align-items: baseline;
  padding: 0.5rem 1.25rem; background: rgba(255,255,255,0.95); border-bottom: 1px solid var(--rule); font-size: 0.9rem;
}
.topbar .meta { color: var(--muted); margin-left: auto; }
.cell { margin: 1rem 0; }
.cell.code { border: 1px solid var(--rule); border-radius: 6px; overflow: hidden; }
.cell.code .source { position: relative; background: var(--code-bg); }
.cell.code .source pre { padding-right: 5.5rem; }
.cell .badge { position: absolute; top: 0.3rem; right: 0.4rem; padding: 0.1rem 0.3rem; background: var(--code-bg); color: var(--muted); font-size: 0.75rem; }
.outputs { border-top: 1px solid var(--rule); }
.out { margin: 0; }
.out.stream, .out.plain, .out.json { white-space: pre-wrap; word-break: break-word; }
.out.stderr { background: #fff0f0; color: #82071e; }
.out.error { background: #ffebe9; color: var(--bad); white-space: pre-wrap; }
.out.rich { padding: 0.5rem 1rem; overflow-x: auto; }
.out.missing { color: var(--muted); padding: 0.5rem 1rem; font-style: italic; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2em 0; }
.math-error { color: var(--bad); font-family: monospace; }
.warnings { background: var(--warn-bg); border: 1px solid #e5c07b; border-radius: 6px; padding: 0.5rem 1rem; font-size: 0.9rem; }
footer { color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: 0.8rem; }
.lecture-index td.num, .lecture-index th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status-ok { color: var(--ok); font-weight: 600; }
.status-failed { color: var(--bad); font-weight: 600; }
.status-not-run { color: var(--muted); }
details pre { background: #ffebe9; color: var(--bad); white-space: pre-wrap; font-size: 0.8rem; }
`;
