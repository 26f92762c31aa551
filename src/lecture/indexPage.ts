import { escapeHtml, formatBytes, formatDuration } from './html.js';
import { LECTURE_ASSETS } from './page.js';

/** One row of the lecture index. */
export interface LectureIndexEntry {
  /** The notebook's path relative to the notebooks folder (e.g. "01-diffusion.ipynb"). */
  relative: string;
  /** Its page relative to the lecture folder; undefined when no page was written (failed, not run). */
  page?: string;
  /** The notebook's title (first heading), or its file name. */
  title: string;
  status: 'ok' | 'failed' | 'not run';
  /** Wall time of the run, when it ran. */
  totalMs?: number;
  codeCells?: number;
  /** Size of the page in bytes. */
  bytes?: number;
  /** For a failure: the error message (shown folded). */
  detail?: string;
  /** When the notebook ran (ISO 8601). */
  ranAt?: string;
  /** True when the row comes from an earlier run (e.g. `lecture --only` ran other notebooks this time). */
  earlier?: boolean;
}

/** Options of renderLectureIndex. */
export interface LectureIndexOptions {
  /** Shown in the footer (default: now). */
  generatedAt?: Date;
  /** Wall time of the whole lecture. */
  totalMs?: number;
}

/**
 * The lecture's index page: one row per notebook in run order with its title linked to its page,
 * the run time, the number of code cells, the page size and the status (ok, failed with the error
 * folded underneath, not run). Pure.
 */
export function renderLectureIndex(entries: readonly LectureIndexEntry[], options: LectureIndexOptions = {}): string {
  const generatedAt = options.generatedAt ?? new Date();
  const ok = entries.filter((e) => e.status === 'ok' && !e.earlier).length;
  const earlier = entries.filter((e) => e.earlier).length;
  const rows = entries.map((e, k) => {
    const title =
      e.page === undefined ? escapeHtml(e.title) : `<a href="${escapeHtml(e.page)}">${escapeHtml(e.title)}</a>`;
    const statusClass = `status-${e.status.replace(' ', '-')}`;
    const detail =
      e.detail === undefined ? '' : `<details><summary>error</summary><pre>${escapeHtml(e.detail)}</pre></details>`;
    const when = e.earlier
      ? ` <span class="earlier-run">(earlier run${e.ranAt ? `, ${escapeHtml(e.ranAt.replace(/:\d\d(\.\d+)?Z$/, 'Z').replace('T', ' '))}` : ''})</span>`
      : '';
    return [
      '<tr>',
      `<td class="num">${k + 1}</td>`,
      `<td>${title}<br><code>${escapeHtml(e.relative)}</code></td>`,
      `<td class="num">${e.totalMs === undefined ? '' : escapeHtml(formatDuration(e.totalMs))}</td>`,
      `<td class="num">${e.codeCells === undefined ? '' : e.codeCells}</td>`,
      `<td class="num">${e.bytes === undefined ? '' : escapeHtml(formatBytes(e.bytes))}</td>`,
      `<td><span class="${statusClass}">${escapeHtml(e.status)}</span>${when}${detail}</td>`,
      '</tr>',
    ].join('');
  });
  const summary =
    `${ok} of ${entries.length} notebook${entries.length === 1 ? '' : 's'} ran${options.totalMs === undefined ? '' : ` in ${formatDuration(options.totalMs)}`}` +
    (earlier > 0 ? `; ${earlier} ${earlier === 1 ? 'row is' : 'rows are'} from an earlier run.` : '.');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    '<title>Few-step image generation: the lecture</title>',
    `<link rel="stylesheet" href="${LECTURE_ASSETS.css}">`,
    '</head>',
    '<body>',
    '<main>',
    '<h1>Few-step image generation: the lecture</h1>',
    `<p>The course notebooks, executed headless on this machine. ${escapeHtml(summary)} Charts are interactive (hover for values); every number is measured here, cited, or labelled as a simulation.</p>`,
    '<table class="lecture-index">',
    '<thead><tr><th class="num">#</th><th>Notebook</th><th class="num">Run time</th><th class="num">Code cells</th><th class="num">Page</th><th>Status</th></tr></thead>',
    '<tbody>',
    ...rows,
    '</tbody>',
    '</table>',
    `<footer>Written ${escapeHtml(generatedAt.toISOString().replace(/\.\d+Z$/, 'Z'))} by fewstep's lecture exporter (<code>npm run lecture</code>).</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
