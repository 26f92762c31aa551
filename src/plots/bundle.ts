import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, MissingResourceError } from '../core/errors.js';
import type { PlotlyFigure } from './figure.js';
import { provenanceRecord, type ProvenanceOptions } from './provenance.js';

/** MIME type of a Plotly figure in Jupyter (rendered by the jupyterlab-plotly extension). */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** One Jupyter display_data output: several renderings of the same thing, keyed by MIME type. */
export interface DisplayBundle {
  data: { [mime: string]: unknown };
  metadata: { [mime: string]: unknown };
}

export interface FigureBundleOptions {
  /** Put plotly.js itself (about 4.8 MB) into the HTML, as a script before the figure. */
  includeLibrary?: boolean;
  /** Id of the figure's div; default derived from a hash of the figure, so the bundle is a pure function of its inputs. */
  divId?: string;
  /** CSS height of the figure's div (default '460px'). */
  height?: string;
}

let plotlyLibraryCache: string | undefined;

/**
 * The text of plotly.min.js, read from disk once (requiring it in Node throws: it expects a
 * browser). Resolved from this library's own location, so the kernel's working directory does not matter.
 */
export function plotlyLibrarySource(): string {
  if (plotlyLibraryCache === undefined) {
    let file: string;
    try {
      file = require.resolve('plotly.js-dist-min/plotly.min.js');
    } catch {
      throw new MissingResourceError(
        'plotly.js-dist-min/plotly.min.js',
        'plotly.js-dist-min is not installed: run `npm install` in the project root.',
      );
    }
    plotlyLibraryCache = readFileSync(file, 'utf8');
  }
  return plotlyLibraryCache;
}

/** Copies typed arrays into plain arrays (JSON.stringify would write them as objects) and drops functions. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>);
  }
  return value;
}

/** The figure as plain JSON (typed arrays become arrays, NaN becomes null). */
export function figureJson(fig: PlotlyFigure): string {
  if (fig === null || typeof fig !== 'object' || !Array.isArray(fig.data)) {
    throw new InvalidArgumentError('figure', fig, 'expected a Plotly figure {data: [...], layout: {...}}');
  }
  const plain = {
    data: fig.data,
    layout: fig.layout ?? {},
    config: { responsive: true, displaylogo: false, ...(fig.config ?? {}) },
  };
  return JSON.stringify(plain, jsonReplacer);
}

/** The default div id of a figure: a hash of its JSON, so equal figures get equal bundles. */
export function figureDivId(figureJsonText: string): string {
  return 'fewstep-plot-' + createHash('sha256').update(figureJsonText).digest('hex').slice(0, 12);
}

/** JSON made safe to sit inside an HTML <script>: no `</script>`, no raw line separators. */
function scriptSafe(json: string): string {
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `<`, `>`, `&`, `"` as HTML entities. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The figure's title as plain text (Plotly pseudo-HTML removed). */
function plainTitle(fig: PlotlyFigure): string {
  const t = fig.layout?.title as unknown;
  const text = typeof t === 'string' ? t : t && typeof t === 'object' ? (t as { text?: unknown }).text : undefined;
  if (typeof text !== 'string') return '(untitled)';
  return text
    .replace(/<br\s*\/?>/gi, ' - ')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The marker comment at the head of the library script (the lecture exporter and tests look for it). */
export const PLOTLY_LIBRARY_MARKER = 'plotly.js, sent once per kernel session by fewstep';

/**
 * The `<script>` that carries plotly.js. Idempotent: when the page already has `window.Plotly` (an
 * earlier output loaded it), the library is not evaluated again.
 */
export function plotlyLibraryScript(): string {
  const lib = plotlyLibrarySource().replace(/<\/(script)/gi, '<\\/$1');
  return `<script type="text/javascript">/* ${PLOTLY_LIBRARY_MARKER} */\nif (!(window.Plotly && window.Plotly.newPlot)) {\n${lib}\n}\n</script>`;
}

/** The message a figure shows when no output of the page carries plotly.js. */
export const PLOTLY_MISSING_MESSAGE =
  'plotly.js did not load: no output of this notebook carries it any more. Run fs.resendPlotlyLibrary() in a cell ' +
  '(it sends the library again), then save the notebook.';

/** Range of the finite numbers of `values` as "a..b", or the count of categories. */
function describeAxis(values: unknown): string | undefined {
  if (values === undefined || values === null || typeof values !== 'object') return undefined;
  const list = Array.from(values as ArrayLike<unknown>);
  const nums = list.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length > 0) {
    const fmt = (v: number) => String(Number(v.toPrecision(4)));
    return `${fmt(Math.min(...nums))}..${fmt(Math.max(...nums))}`;
  }
  const texts = list.filter((v) => typeof v === 'string') as string[];
  if (texts.length === 0) return undefined;
  const shown = texts.slice(0, 4).join(', ');
  return texts.length > 4 ? `${shown}, ... (${texts.length})` : shown;
}

/**
 * A text summary of a figure, one line per trace (name, points, x and y ranges): what a reader
 * sees where the chart cannot be drawn (an untrusted notebook, a terminal).
 */
export function figureSummary(fig: PlotlyFigure): string[] {
  return fig.data
    .slice(0, 12)
    .map((trace, i) => {
      const t = trace as unknown as Record<string, unknown>;
      const name = typeof t.name === 'string' && t.name !== '' ? t.name.replace(/<[^>]*>/g, '') : `trace ${i + 1}`;
      const ys = t.y as ArrayLike<unknown> | undefined;
      const n = ys && typeof ys === 'object' ? ys.length : undefined;
      const parts = [
        `${typeof t.type === 'string' ? t.type : 'scatter'}${n === undefined ? '' : `, ${n} point${n === 1 ? '' : 's'}`}`,
      ];
      const x = describeAxis(t.x);
      const y = describeAxis(t.y);
      if (x !== undefined) parts.push(`x ${x}`);
      if (y !== undefined) parts.push(`y ${y}`);
      return `${name}: ${parts.join('; ')}`;
    })
    .concat(fig.data.length > 12 ? [`... ${fig.data.length - 12} more traces`] : []);
}

/**
 * The display_data bundle for a figure: the Plotly JSON (for JupyterLab with jupyterlab-plotly),
 * an HTML div + script that draws it with window.Plotly, waiting for the library if it is still
 * loading (for nbconvert HTML and plain Jupyter), and a text/plain summary. The HTML holds a
 * visible fallback (title, one line per trace, how to trust the notebook) that the script removes
 * once the chart is drawn: an untrusted notebook, whose scripts do not run, shows that instead of
 * an empty box. Pure apart from reading plotly.min.js when `includeLibrary`.
 */
export function figureBundle(fig: PlotlyFigure, options: FigureBundleOptions = {}): DisplayBundle {
  const json = figureJson(fig);
  const divId = options.divId ?? figureDivId(json);
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(divId)) {
    throw new InvalidArgumentError('divId', divId, 'expected letters, digits, "-" and "_", starting with a letter');
  }
  const height = options.height ?? '460px';
  if (!/^\d+(\.\d+)?(px|em|vh|%)$/.test(height)) {
    throw new InvalidArgumentError('height', height, "expected a CSS length like '460px'");
  }
  const title = plainTitle(fig);
  const summary = figureSummary(fig);
  const parts: string[] = [];
  if (options.includeLibrary) parts.push(plotlyLibraryScript());
  parts.push(
    `<div id="${divId}-fallback" class="fewstep-plotly-fallback" style="border:1px dashed #999;padding:6px 10px;margin:4px 0;">`,
    `<p><b>chart: ${escapeHtml(title)}</b> &mdash; not drawn here: this output's script did not run. ` +
      'In Jupyter, trust the notebook (File &gt; Trust Notebook) to see it interactive.</p>',
    `<pre>${escapeHtml(summary.join('\n'))}</pre>`,
    '</div>',
    `<div id="${divId}" class="fewstep-plotly" style="width:100%;height:${height};"></div>`,
    '<script type="text/javascript">',
    '(function () {',
    `  var figure = ${scriptSafe(json)};`,
    `  var id = ${JSON.stringify(divId)};`,
    '  function note(text) {',
    '    var f = document.getElementById(id + "-fallback");',
    '    if (f) { f.textContent = text; }',
    '  }',
    '  note("chart: " + ' + scriptSafe(JSON.stringify(title)) + ' + " (waiting for plotly.js...)");',
    '  function draw(tries) {',
    '    var el = document.getElementById(id);',
    '    var P = window.Plotly;',
    '    if (el && P && typeof P.newPlot === "function") {',
    '      var f = document.getElementById(id + "-fallback");',
    '      if (f && f.parentNode) { f.parentNode.removeChild(f); }',
    '      P.newPlot(el, figure.data, figure.layout, figure.config);',
    '      return;',
    '    }',
    // The output may not be in the document yet (classic Notebook runs scripts before inserting them).
    '    if (!el && tries >= 600) { return; }',
    `    if (el && tries === 600) { note(${JSON.stringify(PLOTLY_MISSING_MESSAGE)}); }`,
    // After the message, keep looking now and then: fs.resendPlotlyLibrary() in a later cell brings it.
    '    setTimeout(function () { draw(tries + 1); }, tries < 600 ? 50 : 1000);',
    '  }',
    '  draw(0);',
    '})();',
    '</script>',
  );
  const traces = fig.data.length;
  return {
    data: {
      [PLOTLY_MIME]: JSON.parse(json) as unknown,
      'text/html': parts.join('\n'),
      'text/plain': [
        `[Plotly figure] ${title} (${traces} trace${traces === 1 ? '' : 's'})`,
        ...summary.map((l) => '  ' + l),
      ].join('\n'),
    },
    metadata: {},
  };
}

/**
 * Markdown as plain text that reads well where markdown is not rendered (an untrusted notebook shows
 * text/plain): emphasis and code marks dropped, links as "text (url)", headings underlined, math kept.
 */
export function markdownToPlainText(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let fenced = false;
  for (const raw of lines) {
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      out.push('    ' + raw);
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
    let line = heading ? heading[2] : raw;
    line = line
      .replace(/!\[([^\]]*)\]\(([^)\s]*)[^)]*\)/g, (_m, alt: string) => `[image${alt ? ': ' + alt : ''}]`)
      .replace(/\[([^\]]+)\]\(([^)\s]+)[^)]*\)/g, (_m, t: string, u: string) => (t === u ? t : `${t} (${u})`))
      .replace(/`([^`]+)`/g, '$1')
      .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
      .replace(/(^|[^\w*\\$])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1$2')
      .replace(/(^|[^\w\\$])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/?[A-Za-z][^>]*>/g, '')
      .replace(/\\([\\`*_{}\[\]()#+\-.!|>])/g, '$1')
      .replace(/^(\s*)[*+] /, '$1- ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    out.push(line);
    if (heading) out.push((heading[1].length <= 1 ? '=' : '-').repeat(Math.min(80, Math.max(3, line.length))));
  }
  return out.join('\n');
}

/** Markdown as a display bundle: text/markdown, and text/plain that reads well where markdown is not rendered. */
export function markdownBundle(text: string): DisplayBundle {
  if (typeof text !== 'string') throw new InvalidArgumentError('text', text, 'expected a markdown string');
  return { data: { 'text/markdown': text, 'text/plain': markdownToPlainText(text) }, metadata: {} };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk; throws InvalidArgumentError if it is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const ok = png instanceof Uint8Array && png.length >= 24 && PNG_SIGNATURE.every((b, i) => png[i] === b);
  if (!ok) {
    throw new InvalidArgumentError(
      'png',
      png instanceof Uint8Array ? `<${png.length} bytes>` : png,
      'expected the bytes of a PNG file',
    );
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Images narrower than this are shown enlarged by default (a 64 px model output is too small to see). */
export const MIN_DISPLAY_WIDTH = 256;

/**
 * A PNG as a display bundle (base64 image/png + text/plain). `displayWidth` sets its width on
 * screen; by default an image narrower than MIN_DISPLAY_WIDTH is shown at the smallest whole
 * multiple of its width that reaches it (64 px -> 256 px), so pixels stay square blocks.
 */
export function pngBundle(png: Uint8Array, displayWidth?: number): DisplayBundle {
  const { width, height } = pngSize(png);
  const metadata: DisplayBundle['metadata'] = {};
  if (displayWidth !== undefined) {
    if (!Number.isInteger(displayWidth) || displayWidth < 1) {
      throw new InvalidArgumentError('displayWidth', displayWidth, 'expected a positive integer number of pixels');
    }
    metadata['image/png'] = { width: displayWidth };
  } else if (width > 0 && width < MIN_DISPLAY_WIDTH) {
    metadata['image/png'] = { width: width * Math.ceil(MIN_DISPLAY_WIDTH / width) };
  }
  return {
    data: {
      'image/png': Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64'),
      'text/plain': `[PNG image ${width}x${height}]`,
    },
    metadata,
  };
}

/** A table cell as text: numbers with up to `digits` significant digits, null/undefined empty. */
function cellText(value: unknown, digits: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(digits)));
  }
  return String(value);
}

/** How a table is shown: where its numbers come from (required, printed above it), digits and a caption. */
export interface TableOptions extends ProvenanceOptions {
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** What the table shows, printed under the provenance line. */
  caption?: string;
}

/**
 * A table as a display bundle: an HTML table and a fixed-width text table, both opened by the
 * provenance of the numbers (as charts carry it in their title), then the caption. `rows` are
 * objects (read by column name) or arrays (read by column position). The provenance is also kept
 * machine-readable in the bundle's metadata (`metadata.fewstep.provenance`) and the table's
 * `data-provenance` attribute. A table without a provenance is refused (InvalidArgumentError).
 */
export function tableBundle(
  rows: readonly (object | readonly unknown[])[],
  columns: readonly string[],
  options: TableOptions,
): DisplayBundle {
  const record = provenanceRecord(options);
  if (options.caption !== undefined && typeof options.caption !== 'string') {
    throw new InvalidArgumentError('caption', options.caption, 'expected a string or undefined');
  }
  if (!Array.isArray(rows)) throw new InvalidArgumentError('rows', rows, 'expected an array of rows');
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string')) {
    throw new InvalidArgumentError('columns', columns, 'expected a non-empty array of column names');
  }
  const digits = options.digits ?? 4;
  const caption = options.caption === undefined || options.caption.trim() === '' ? undefined : options.caption;
  if (!Number.isInteger(digits) || digits < 1 || digits > 21) {
    throw new InvalidArgumentError('digits', digits, 'expected an integer in [1, 21]');
  }
  const cells: string[][] = rows.map((row, r) => {
    if (row === null || typeof row !== 'object')
      throw new InvalidArgumentError(`rows[${r}]`, row, 'expected an object or an array');
    return columns.map((c, j) => cellText(Array.isArray(row) ? row[j] : (row as Record<string, unknown>)[c], digits));
  });
  const numeric = columns.map(
    (_, j) =>
      rows.length > 0 &&
      rows.every((row) => {
        const v = Array.isArray(row) ? row[j] : (row as Record<string, unknown>)[columns[j]];
        return typeof v === 'number' || v === null || v === undefined;
      }),
  );
  const align = (j: number) => (numeric[j] ? ' style="text-align:right"' : '');
  const html = [
    `<table class="fewstep-table" data-provenance="${record.provenance}">`,
    `<caption><span class="fewstep-provenance">${escapeHtml(record.label)}</span>` +
      (caption === undefined ? '' : `<br>${escapeHtml(caption)}`) +
      '</caption>',
    '<thead><tr>' + columns.map((c, j) => `<th${align(j)}>${escapeHtml(c)}</th>`).join('') + '</tr></thead>',
    '<tbody>',
    ...cells.map((row) => '<tr>' + row.map((v, j) => `<td${align(j)}>${escapeHtml(v)}</td>`).join('') + '</tr>'),
    '</tbody></table>',
  ]
    .filter((line) => line !== '')
    .join('\n');
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const pad = (v: string, j: number) => (numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]));
  const text = [
    `[${record.label}]`,
    ...(caption === undefined ? [] : [caption]),
    columns
      .map((c, j) => pad(c, j))
      .join('  ')
      .trimEnd(),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((row) =>
      row
        .map((v, j) => pad(v, j))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
  return { data: { 'text/html': html, 'text/plain': text }, metadata: { fewstep: { provenance: record } } };
}

/** One table of a side-by-side display: its rows, columns and options (with its own provenance). */
export interface TableSpec {
  rows: readonly (object | readonly unknown[])[];
  columns: readonly string[];
  options: TableOptions;
}

/**
 * Two or more tables next to each other in one output (e.g. measured here vs published), each with
 * its own provenance line; the text twin prints them one after the other. The metadata keeps every
 * table's provenance, in order (`metadata.fewstep.provenance` is an array).
 */
export function tablesSideBySideBundle(tables: readonly TableSpec[]): DisplayBundle {
  if (!Array.isArray(tables) || tables.length < 2) {
    throw new InvalidArgumentError('tables', tables, 'an array of two or more {rows, columns, options} tables');
  }
  const bundles = tables.map((t, i) => {
    if (t === null || typeof t !== 'object')
      throw new InvalidArgumentError(`tables[${i}]`, t, 'a {rows, columns, options} table');
    return tableBundle(t.rows, t.columns, t.options);
  });
  const html = [
    '<div class="fewstep-side-by-side" style="display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start">',
    ...bundles.map((b) => `<div>${b.data['text/html'] as string}</div>`),
    '</div>',
  ].join('\n');
  const text = bundles.map((b) => b.data['text/plain'] as string).join('\n\n');
  const provenance = bundles.map((b) => (b.metadata.fewstep as { provenance: unknown }).provenance);
  return { data: { 'text/html': html, 'text/plain': text }, metadata: { fewstep: { provenance } } };
}
