import { figureBundle, PLOTLY_MIME } from '../plots/bundle.js';
import type { PlotlyFigure } from '../plots/figure.js';
import { joinSource, type NotebookOutput } from '../runner/notebookFile.js';
import { escapeHtml, stripAnsi } from './html.js';
import { renderMath, type MarkdownRenderer, type RenderWarning } from './markdown.js';

/** A `<script>` element with its content (no nested scripts in HTML, so the lazy match is exact). */
const SCRIPT_ELEMENT = /<script\b[^>]*>([\s\S]*?)<\/script\s*>/gi;

/** A script holding the plotly.js library itself (not a figure): big, and carrying the library's banner or our marker. */
function isPlotlyLibraryScript(content: string): boolean {
  return (
    content.length > 100_000 &&
    (/\*\s*plotly\.js v\d/.test(content.slice(0, 2000)) || content.includes('plotly.js, sent once per kernel session'))
  );
}

/**
 * `html` without embedded copies of the plotly.js library (4-5 MB each): the page loads the
 * library once with `<script src>`, and the figures' own scripts wait for `window.Plotly`.
 * Returns the HTML and how many copies were removed.
 */
export function stripPlotlyLibrary(html: string): { html: string; removed: number } {
  let removed = 0;
  const out = html.replace(SCRIPT_ELEMENT, (whole, content: string) => {
    if (!isPlotlyLibraryScript(content)) return whole;
    removed++;
    return '<!-- plotly.js: loaded once by the page -->';
  });
  return { html: out, removed };
}

/** How the page shows one output. */
export interface RenderedOutput {
  /** The HTML of the output. */
  html: string;
  /** The MIME type shown ('stream', 'error' for those output types). */
  shown: string;
  /** True when it holds a Plotly figure. */
  plotly: boolean;
}

/** Context for rendering the outputs of one page. */
export interface OutputContext {
  markdown: MarkdownRenderer;
  warnings: RenderWarning[];
  /** Counter for ids of figures drawn from Plotly JSON (unique per page). */
  figureIds: { next: number };
}

const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/gif'] as const;

/** A display_data / execute_result `data` value as text (nbformat allows a list of lines). */
function mimeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return joinSource(value as string[]);
  return undefined;
}

/** The display width of an image from the output's metadata (`{ 'image/png': { width } }`), if a positive number. */
function imageWidth(metadata: Record<string, unknown> | undefined, mime: string): number | undefined {
  const m = metadata?.[mime] as { width?: unknown } | undefined;
  const w = m && typeof m === 'object' ? m.width : undefined;
  return typeof w === 'number' && Number.isFinite(w) && w > 0 ? Math.round(w) : undefined;
}

/** A rich output (display_data or execute_result) as HTML: Plotly, HTML, images, markdown, LaTeX, JSON, then plain text. */
function renderRich(
  data: Record<string, unknown>,
  metadata: Record<string, unknown>,
  ctx: OutputContext,
  where: string,
): RenderedOutput {
  const plain = mimeText(data['text/plain']);
  const html = mimeText(data['text/html']);
  if (data[PLOTLY_MIME] !== undefined) {
    if (html !== undefined)
      return {
        html: `<div class="out rich plotly">${stripPlotlyLibrary(html).html}</div>`,
        shown: 'text/html',
        plotly: true,
      };
    const fig = data[PLOTLY_MIME] as PlotlyFigure;
    try {
      const bundle = figureBundle(fig, { divId: `fewstep-lecture-plot-${ctx.figureIds.next++}` });
      return {
        html: `<div class="out rich plotly">${bundle.data['text/html'] as string}</div>`,
        shown: PLOTLY_MIME,
        plotly: true,
      };
    } catch (e) {
      ctx.warnings.push({ where, message: `Plotly JSON not drawable: ${(e as Error).message}` });
    }
  }
  if (html !== undefined)
    return {
      html: `<div class="out rich html">${stripPlotlyLibrary(html).html}</div>`,
      shown: 'text/html',
      plotly: false,
    };
  const svg = mimeText(data['image/svg+xml']);
  if (svg !== undefined) {
    const uri = `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
    return {
      html: `<div class="out rich image"><img src="${uri}" alt="${escapeHtml(plain ?? 'SVG image')}"></div>`,
      shown: 'image/svg+xml',
      plotly: false,
    };
  }
  for (const mime of IMAGE_MIMES) {
    const b64 = mimeText(data[mime]);
    if (b64 === undefined) continue;
    const clean = b64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
      ctx.warnings.push({ where, message: `${mime} output is not base64; not shown` });
      continue;
    }
    const width = imageWidth(metadata, mime);
    const size = width === undefined ? '' : ` width="${width}"`;
    return {
      html: `<div class="out rich image"><img src="data:${mime};base64,${clean}"${size} alt="${escapeHtml(plain ?? mime)}"></div>`,
      shown: mime,
      plotly: false,
    };
  }
  const md = mimeText(data['text/markdown']);
  if (md !== undefined)
    return {
      html: `<div class="out rich markdown">${ctx.markdown.render(md, ctx.warnings, where)}</div>`,
      shown: 'text/markdown',
      plotly: false,
    };
  const latex = mimeText(data['text/latex']);
  if (latex !== undefined) {
    const tex = latex.trim().replace(/^\$\$?([\s\S]*?)\$?\$$/, '$1');
    return {
      html: `<div class="out rich latex">${renderMath(tex, true, ctx.warnings, where)}</div>`,
      shown: 'text/latex',
      plotly: false,
    };
  }
  if (data['application/json'] !== undefined) {
    return {
      html: `<pre class="out json">${escapeHtml(JSON.stringify(data['application/json'], null, 2))}</pre>`,
      shown: 'application/json',
      plotly: false,
    };
  }
  if (plain !== undefined)
    return { html: `<pre class="out plain">${escapeHtml(stripAnsi(plain))}</pre>`, shown: 'text/plain', plotly: false };
  const mimes = Object.keys(data).join(', ') || '(none)';
  ctx.warnings.push({ where, message: `no MIME type the page can show (${mimes})` });
  return {
    html: `<p class="out missing">(output of type ${escapeHtml(mimes)} not shown)</p>`,
    shown: 'none',
    plotly: false,
  };
}

/**
 * The outputs of one code cell as HTML, in order. Consecutive stream outputs of the same stream
 * are joined (the kernel splits long prints). Text is always escaped; `text/html` outputs are
 * inserted as they are (they are the notebook's own rich outputs), less any embedded plotly.js.
 */
export function renderOutputs(
  outputs: readonly NotebookOutput[],
  ctx: OutputContext,
  cellWhere: string,
): RenderedOutput[] {
  const rendered: RenderedOutput[] = [];
  let k = 0;
  while (k < outputs.length) {
    const out = outputs[k];
    const where = `${cellWhere}, output ${k}`;
    if (out.output_type === 'stream') {
      let text = joinSource(out.text);
      let j = k + 1;
      for (; j < outputs.length; j++) {
        const next = outputs[j];
        if (next.output_type !== 'stream' || next.name !== out.name) break;
        text += joinSource(next.text);
      }
      const name = out.name === 'stderr' ? 'stderr' : 'stdout';
      rendered.push({
        html: `<pre class="out stream ${name}">${escapeHtml(stripAnsi(text))}</pre>`,
        shown: 'stream',
        plotly: false,
      });
      k = j;
      continue;
    }
    if (out.output_type === 'error') {
      const trace = Array.isArray(out.traceback) ? out.traceback.map((l) => stripAnsi(String(l))).join('\n') : '';
      const head = `${out.ename}: ${out.evalue}`;
      rendered.push({
        html: `<pre class="out error">${escapeHtml(trace.includes(out.evalue) ? trace : `${head}\n${trace}`.trimEnd())}</pre>`,
        shown: 'error',
        plotly: false,
      });
    } else if (out.output_type === 'display_data' || out.output_type === 'execute_result') {
      rendered.push(renderRich(out.data ?? {}, out.metadata ?? {}, ctx, where));
    } else {
      const type = (out as { output_type?: unknown }).output_type;
      ctx.warnings.push({ where, message: `unknown output_type ${JSON.stringify(type)}; not shown` });
    }
    k++;
  }
  return rendered;
}
