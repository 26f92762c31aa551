import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readNotebook, type Notebook } from '../runner/notebookFile.js';
import type { RunNotebookResult } from '../runner/runNotebook.js';
import { writeLectureAssets } from './assets.js';
import { writeFileAtomic } from '../core/atomicFile.js';
import { formatBytes } from './html.js';
import { renderLectureIndex, type LectureIndexEntry } from './indexPage.js';
import { MarkdownRenderer } from './markdown.js';
import { pagePathFor, renderNotebookPage, type NotebookPage } from './page.js';

/** The rows of the last index, read back so that a partial run (`--only`) keeps the others. */
export const INDEX_MANIFEST = 'index.json';

/** Lecture order: the top-level notebooks by name, then those in subfolders (solutions/) by path. */
function lectureOrder(a: string, b: string): number {
  const da = a.split('/').length;
  const db = b.split('/').length;
  if (da !== db) return da - db;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A notebook of the lecture: its path relative to the notebooks folder (e.g. "01-x.ipynb", "solutions/01-x.ipynb"). */
export interface LectureNotebookRef {
  relative: string;
}

/**
 * Writes the lecture as HTML into `outDir` while it runs: the shared assets first, a page per
 * executed notebook as each finishes (`exportResult`, or `sink` for runLecture), and the index at
 * the end (`writeIndex`), listing failed and not-run notebooks too. Prints what it wrote with `log`.
 */
export class LectureHtmlExporter {
  private readonly entries = new Map<string, LectureIndexEntry>();
  private planned: string[] = [];
  private assetsWritten = false;
  private readonly markdown = new MarkdownRenderer();

  constructor(
    readonly outDir: string,
    private readonly log: (line: string) => void = (l) => console.log(l),
  ) {}

  private known: Set<string> | undefined;

  /**
   * The notebooks the lecture will run, in order: the index lists those without a page as "not run".
   * `known` (default: the planned ones) are all the notebooks that exist: rows of earlier runs
   * (`index.json` beside the index) for known notebooks not run this time stay in the index, so
   * `lecture --only X` adds X without dropping the others.
   */
  plan(notebooks: readonly LectureNotebookRef[], known?: readonly LectureNotebookRef[]): void {
    this.planned = notebooks.map((n) => n.relative);
    this.known = known === undefined ? undefined : new Set(known.map((n) => n.relative));
  }

  /** A runLecture sink: exports each executed notebook as soon as it ran. */
  readonly sink = async (result: RunNotebookResult, nb: LectureNotebookRef): Promise<void> => {
    await this.exportResult(result, nb);
  };

  /** Writes the page of one executed notebook (and the assets, once). Returns the rendered page. */
  async exportResult(
    result: Pick<RunNotebookResult, 'notebook' | 'cellMs' | 'totalMs'>,
    nb: LectureNotebookRef,
  ): Promise<NotebookPage> {
    return this.exportNotebook(result.notebook, nb.relative, { cellMs: result.cellMs, totalMs: result.totalMs });
  }

  /** Writes the page of an executed notebook given as data (e.g. one executed elsewhere). */
  async exportNotebook(
    notebook: Notebook,
    relative: string,
    timing: { cellMs?: readonly (number | undefined)[]; totalMs?: number } = {},
  ): Promise<NotebookPage> {
    await this.ensureAssets();
    const page = renderNotebookPage(notebook, {
      relative,
      cellMs: timing.cellMs,
      totalMs: timing.totalMs,
      markdown: this.markdown,
    });
    const pageRelative = pagePathFor(relative);
    const file = path.join(this.outDir, ...pageRelative.split('/'));
    await writeFileAtomic(file, page.html);
    const bytes = Buffer.byteLength(page.html);
    const ranAt = new Date().toISOString();
    this.entries.set(relative, {
      relative,
      page: pageRelative,
      title: page.title,
      status: 'ok',
      totalMs: timing.totalMs,
      codeCells: page.codeCells,
      bytes,
      ranAt,
    });
    this.log(
      `  html: ${this.show(file)} (${formatBytes(bytes)}; ${page.plots} chart${page.plots === 1 ? '' : 's'}, ${page.images} image${page.images === 1 ? '' : 's'}, ${page.math} formula${page.math === 1 ? '' : 's'})`,
    );
    for (const w of page.warnings) this.log(`  html warning: ${relative} ${w.where}: ${w.message}`);
    return page;
  }

  /** Marks a notebook as failed in the index, with the error message. */
  recordFailure(relative: string, error: unknown, totalMs?: number): void {
    const detail = error instanceof Error ? error.message : String(error);
    const title = this.entries.get(relative)?.title ?? path.posix.basename(relative).replace(/\.ipynb$/i, '');
    this.entries.set(relative, { relative, title, status: 'failed', totalMs, detail, ranAt: new Date().toISOString() });
  }

  /**
   * Writes index.html over the planned notebooks (plus any exported outside the plan, and the rows
   * of earlier runs kept for known notebooks not run now), in lecture order, and `index.json` (the
   * rows, read back by the next run). Returns the index path.
   */
  async writeIndex(totalMs?: number): Promise<string> {
    await this.ensureAssets();
    const earlier = await this.earlierEntries();
    const current = [...this.planned, ...[...this.entries.keys()].filter((r) => !this.planned.includes(r))];
    const order = [
      ...current,
      ...[...earlier.keys()].filter((r) => !current.includes(r) && (this.known?.has(r) ?? false)),
    ];
    order.sort(lectureOrder);
    const rows = order.map((relative): LectureIndexEntry => {
      const now = this.entries.get(relative);
      if (now) return now;
      const before = earlier.get(relative);
      if (before) return { ...before, earlier: true };
      return { relative, title: path.posix.basename(relative).replace(/\.ipynb$/i, ''), status: 'not run' };
    });
    const file = path.join(this.outDir, 'index.html');
    const html = renderLectureIndex(rows, { totalMs });
    const kept = rows.filter((r) => r.status !== 'not run').map(({ earlier: _e, ...r }) => r);
    await writeFileAtomic(
      path.join(this.outDir, INDEX_MANIFEST),
      JSON.stringify({ version: 1, entries: kept }, null, 1) + '\n',
    );
    await writeFileAtomic(file, html);
    const ok = rows.filter((r) => r.status === 'ok' && !r.earlier).length;
    const old = rows.filter((r) => r.earlier).length;
    this.log(
      `  html: ${this.show(file)} (${rows.length} notebook${rows.length === 1 ? '' : 's'}, ${ok} ok${old ? `, ${old} from an earlier run` : ''}) - open it in a browser`,
    );
    return file;
  }

  /** Rows of earlier runs from index.json whose page still exists (failed rows have none); empty when unreadable. */
  private async earlierEntries(): Promise<Map<string, LectureIndexEntry>> {
    const out = new Map<string, LectureIndexEntry>();
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fsp.readFile(path.join(this.outDir, INDEX_MANIFEST), 'utf8'));
    } catch {
      return out;
    }
    const entries = (parsed as { entries?: unknown })?.entries;
    if (!Array.isArray(entries)) return out;
    for (const e of entries as LectureIndexEntry[]) {
      if (
        !e ||
        typeof e.relative !== 'string' ||
        typeof e.title !== 'string' ||
        (e.status !== 'ok' && e.status !== 'failed')
      )
        continue;
      if (e.page !== undefined) {
        if (typeof e.page !== 'string' || e.page.includes('..')) continue;
        try {
          await fsp.access(path.join(this.outDir, ...e.page.split('/')));
        } catch {
          continue;
        }
      }
      out.set(e.relative, e);
    }
    return out;
  }

  private async ensureAssets(): Promise<void> {
    if (this.assetsWritten) return;
    const files = await writeLectureAssets(this.outDir);
    const bytes = files.reduce((s, f) => s + f.bytes, 0);
    this.log(
      `  html: ${this.show(path.join(this.outDir, 'assets'))}/ (${files.length} files, ${formatBytes(bytes)}: plotly.js, KaTeX CSS and fonts, stylesheet)`,
    );
    this.assetsWritten = true;
  }

  private show(file: string): string {
    const rel = path.relative(process.cwd(), file);
    return rel === '' ? '.' : rel.startsWith('..') ? file : rel;
  }
}

/**
 * Exports notebooks that were already executed (e.g. the `.ipynb` files `npm run lecture` wrote,
 * or ones run in Jupyter) as the lecture pages and index in `outDir` (default: their folder). The
 * notebooks are read from `dir` (`*.ipynb`, then `solutions/*.ipynb`), without running them.
 */
export async function exportExecutedLecture(
  dir: string,
  outDir = dir,
  log: (line: string) => void = (l) => console.log(l),
): Promise<string> {
  const list = async (sub: string) => {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(dir, sub));
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.ipynb') && !n.startsWith('.'))
      .sort()
      .map((n) => (sub ? `${sub}/${n}` : n));
  };
  const relatives = [...(await list('')), ...(await list('solutions'))];
  const exporter = new LectureHtmlExporter(outDir, log);
  exporter.plan(relatives.map((relative) => ({ relative })));
  for (const relative of relatives) {
    const nb = await readNotebook(path.join(dir, ...relative.split('/')));
    await exporter.exportNotebook(nb, relative);
  }
  return exporter.writeIndex();
}
