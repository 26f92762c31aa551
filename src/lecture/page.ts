import * as path from 'node:path';
import { joinSource, type Notebook } from '../runner/notebookFile.js';
import { escapeHtml, formatDuration } from './html.js';
import { MarkdownRenderer, type RenderWarning } from './markdown.js';
import { renderOutputs, type OutputContext } from './outputs.js';

/** Files every page links, relative to the lecture folder. */
export const LECTURE_ASSETS = {
  plotly: 'assets/plotly.min.js',
  katexCss: 'assets/katex/katex.min.css',
  css: 'assets/lecture.css',
} as const;

/** Options of renderNotebookPage. */
export interface NotebookPageOptions {
  /** The notebook's path relative to the lecture folder, with "/" (e.g. "01-diffusion.ipynb", "solutions/01-x.ipynb"). */
  relative: string;
  /** Wall time of each code cell by cell index (from the runner), shown beside the cell. */
  cellMs?: readonly (number | undefined)[];
  /** Wall time of the whole notebook run. */
  totalMs?: number;
  /** Time shown in the footer (default: now). */
  generatedAt?: Date;
  /** A shared markdown renderer (default: a new one). */
  markdown?: MarkdownRenderer;
}

/** One rendered notebook page and what it holds. */
export interface NotebookPage {
  html: string;
  /** The first markdown heading, or the file name without extension. */
  title: string;
  /** Non-fatal problems (bad TeX, outputs the page cannot show). */
  warnings: RenderWarning[];
  /** Counts of what the page shows: Plotly figures, images, rendered formulas, code cells. */
  plots: number;
  images: number;
  math: number;
  codeCells: number;
}

/** The HTML page of `relative` (an .ipynb path): same folder and name, extension .html. */
export function pagePathFor(relative: string): string {
  return relative.replace(/\.ipynb$/i, '') + '.html';
}

/** The prefix from a page at `relative` back to the lecture folder ("" or "../", ...). */
export function prefixToRoot(relative: string): string {
  const depth = relative.split('/').length - 1;
  return '../'.repeat(depth);
}

/** The notebook's title: the plain text of its first markdown heading, else the file name without extension. */
export function notebookTitle(nb: Notebook, relative: string, markdown = new MarkdownRenderer()): string {
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'markdown') continue;
    const h = markdown.firstHeading(joinSource(cell.source));
    if (h !== undefined) return h;
  }
  return path.posix.basename(relative).replace(/\.ipynb$/i, '');
}

/** Counts occurrences of `needle` in `hay`. */
function count(hay: string, needle: RegExp): number {
  return (hay.match(needle) ?? []).length;
}

/**
 * An executed notebook as one HTML page: markdown with KaTeX math rendered on the server, each code
 * cell's source (escaped) with its run time, and its outputs (stream text escaped, HTML as it is,
 * images as data URIs, Plotly figures drawn by the page's one copy of plotly.js). Links the shared
 * assets (LECTURE_ASSETS) relative to the page. Pure: reads no files.
 */
export function renderNotebookPage(nb: Notebook, options: NotebookPageOptions): NotebookPage {
  const markdown = options.markdown ?? new MarkdownRenderer();
  const warnings: RenderWarning[] = [];
  const ctx: OutputContext = { markdown, warnings, figureIds: { next: 1 } };
  const prefix = prefixToRoot(options.relative);
  const title = notebookTitle(nb, options.relative, markdown);
  const body: string[] = [];
  let plots = 0;
  let images = 0;
  let codeCells = 0;
  nb.cells.forEach((cell, i) => {
    const where = `cell ${i}`;
    const source = joinSource(cell.source);
    if (cell.cell_type === 'markdown') {
      body.push(
        `<section class="cell markdown" id="cell-${i}">\n${markdown.render(source, warnings, where)}</section>`,
      );
      return;
    }
    if (cell.cell_type !== 'code') return; // raw cells are not shown, as in nbconvert's HTML
    const outputs = cell.outputs ?? [];
    if (source.trim() === '' && outputs.length === 0) return;
    codeCells++;
    const ms = options.cellMs?.[i];
    const prompt = typeof cell.execution_count === 'number' ? `[${cell.execution_count}]` : '[ ]';
    const badge = `${prompt}${ms === undefined ? '' : ` ${formatDuration(ms)}`}`;
    const rendered = renderOutputs(outputs, ctx, where);
    plots += rendered.filter((r) => r.plotly).length;
    images += rendered.filter((r) => r.shown.startsWith('image/')).length;
    body.push(
      `<section class="cell code" id="cell-${i}">`,
      `<div class="source"><span class="badge" title="execution count and run time">${escapeHtml(badge)}</span><pre><code class="language-typescript">${escapeHtml(source)}</code></pre></div>`,
      ...(rendered.length === 0 ? [] : ['<div class="outputs">', ...rendered.map((r) => r.html), '</div>']),
      '</section>',
    );
  });
  const generatedAt = options.generatedAt ?? new Date();
  const meta = [
    `${codeCells} code cell${codeCells === 1 ? '' : 's'}`,
    ...(options.totalMs === undefined ? [] : [`ran in ${formatDuration(options.totalMs)}`]),
  ].join(' · ');
  const warningBlock =
    warnings.length === 0
      ? []
      : [
          '<aside class="warnings"><strong>Rendering warnings</strong><ul>',
          ...warnings.map((w) => `<li>${escapeHtml(`${w.where}: ${w.message}`)}</li>`),
          '</ul></aside>',
        ];
  const content = body.join('\n');
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="stylesheet" href="${prefix}${LECTURE_ASSETS.katexCss}">`,
    `<link rel="stylesheet" href="${prefix}${LECTURE_ASSETS.css}">`,
    `<script src="${prefix}${LECTURE_ASSETS.plotly}"></script>`,
    '</head>',
    '<body>',
    `<nav class="topbar"><a href="${prefix}index.html">&larr; Lecture index</a><span>${escapeHtml(options.relative)}</span><span class="meta">${escapeHtml(meta)}</span></nav>`,
    '<main>',
    ...warningBlock,
    content,
    `<footer>Executed notebook <code>${escapeHtml(options.relative)}</code>, page written ${escapeHtml(generatedAt.toISOString().replace(/\.\d+Z$/, 'Z'))} by fewstep's lecture exporter.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { html, title, warnings, plots, images, math: count(content, /class="katex"/g), codeCells };
}
