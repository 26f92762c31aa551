/** Shared helpers of the notebook tests: run a course notebook and read its figures, text and images. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Notebook, NotebookOutput } from '../../src/runner/index.js';
import { PROVENANCES } from '../../src/plots/provenance.js';

// Compiled to .build/test/notebooks/: the repository root is three levels up.
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const notebookPath = (name: string) => path.join(repoRoot, 'notebooks', `${name}.ipynb`);

/** The kernel's environment: the fixture models chosen through the notebooks' own settings. */
export const fixtureEnv = {
  ...process.env,
  FEWSTEP_MODEL: 'models/fixtures/tiny-sd',
  FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm',
};

export interface PlotlyJson {
  data: { name?: string; x?: number[]; y?: (number | null)[] }[];
  layout: { title?: { text?: string }; meta?: { provenance?: string; date?: string | null; machine?: string | null; source?: string | null; label?: string } };
}

export function outputsOf(nb: Notebook): NotebookOutput[] {
  return nb.cells.flatMap((c) => (c.cell_type === 'code' ? (c.outputs ?? []) : []));
}

export function dataOf(o: NotebookOutput): Record<string, unknown> {
  return o.output_type === 'display_data' || o.output_type === 'execute_result' ? o.data : {};
}

export function figuresOf(nb: Notebook): PlotlyJson[] {
  return outputsOf(nb)
    .map((o) => dataOf(o)['application/vnd.plotly.v1+json'] as PlotlyJson | undefined)
    .filter((f): f is PlotlyJson => f !== undefined);
}

export function textOf(nb: Notebook): string {
  return outputsOf(nb)
    .map((o) => (o.output_type === 'stream' ? [o.text].flat().join('') : [dataOf(o)['text/markdown'] ?? dataOf(o)['text/plain'] ?? ''].flat().join('')))
    .join('\n');
}

/** The figure whose title starts with `title`, and its series by name. */
export function figure(nb: Notebook, title: string): { fig: PlotlyJson; series: (name: string) => { x: number[]; y: number[] } } {
  const fig = figuresOf(nb).filter((f) => (f.layout.title?.text ?? '').startsWith(title))[0];
  assert.ok(fig, `no figure titled "${title}..."; titles: ${figuresOf(nb).map((f) => f.layout.title?.text).join(' | ')}`);
  return {
    fig,
    series: (name) => {
      const trace = fig.data.filter((d) => d.name === name)[0];
      assert.ok(trace, `no series "${name}" in "${title}"`);
      return { x: trace.x as number[], y: trace.y as number[] };
    },
  };
}

export function checkCommon(nb: Notebook, minFigures: number, minPngs: number): void {
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  assert.deepEqual(code.map((c) => c.execution_count), code.map((_, i) => i + 1), 'every code cell ran, in order');
  const figures = figuresOf(nb);
  assert.ok(figures.length >= minFigures, `${figures.length} Plotly figures, expected >= ${minFigures}`);
  for (const f of figures) {
    const meta = f.layout.meta;
    assert.ok((PROVENANCES as readonly string[]).includes(String(meta?.provenance)), `figure "${f.layout.title?.text}" has no provenance`);
    if (meta?.provenance === 'recorded') assert.ok(meta.date && meta.machine, `recorded figure "${f.layout.title?.text}" names its date and machine`);
    assert.doesNotMatch(String(meta?.label), /this machine/, `figure "${f.layout.title?.text}": a label names the machine`);
  }
  // Every table says which kind its numbers are, in its HTML and as the first line of its text.
  for (const o of outputsOf(nb)) {
    const html = dataOf(o)['text/html'];
    if (typeof html !== 'string' || !html.includes('class="fewstep-table"')) continue;
    const kinds = [...html.matchAll(/<table class="fewstep-table" data-provenance="([a-z]+)">/g)].map((m) => m[1]);
    assert.equal(kinds.length, (html.match(/class="fewstep-table"/g) ?? []).length, 'every table has a data-provenance');
    assert.ok(kinds.every((k) => (PROVENANCES as readonly string[]).includes(k)), `table provenance ${kinds.join(', ')}`);
    assert.match(String(dataOf(o)['text/plain']), /^\[(measured (now|\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC) on|recorded \d{4}-\d{2}-\d{2} on|formula|published: |SIMULATION)/);
  }
  const bundles = outputsOf(nb).filter((o) => 'application/vnd.plotly.v1+json' in dataOf(o));
  assert.ok(bundles.every((o) => 'text/html' in dataOf(o)), 'every chart carries its HTML fallback');
  const pngs = outputsOf(nb).filter((o) => typeof dataOf(o)['image/png'] === 'string');
  assert.ok(pngs.length >= minPngs, `${pngs.length} PNG outputs, expected >= ${minPngs}`);
  for (const o of pngs) assert.ok(Buffer.from(dataOf(o)['image/png'] as string, 'base64').subarray(1, 4).toString() === 'PNG');
}


/** Mime type of the structured result a notebook emits (fs.emitResult). */
export const RESULT_MIME = 'application/vnd.fewstep.result+json';

/** A measured interval as the structured results hold it. */
export interface ResultInterval {
  value: number;
  low: number;
  high: number;
  level: number;
}

/** One method's result as the structured result holds it (fs.resultSummary). */
export interface ResultSummary {
  name: string;
  family: string;
  steps: number;
  guidance: number;
  id: string;
  quality?: { images: number; frechet?: ResultInterval; adherence?: ResultInterval; psnrDb?: ResultInterval; ssim?: ResultInterval };
  time?: { medianMs: number; q1Ms: number; q3Ms: number; iqrMs: number; n: number };
}

/** The one structured result the notebook emitted (asserts there is exactly one, for `notebook`). */
export function structuredResult<T = Record<string, unknown>>(nb: Notebook, notebook: string): T {
  const found = outputsOf(nb).map((o) => dataOf(o)[RESULT_MIME]).filter((d) => d !== undefined) as Record<string, unknown>[];
  assert.equal(found.length, 1, `one structured result (${RESULT_MIME}), found ${found.length}`);
  assert.equal(found[0].notebook, notebook);
  return found[0] as T;
}
