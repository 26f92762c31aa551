/** The conclusions of notebook 07 (summary and exercises), checked on its run with the shipped models. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { dataOf, figure, outputsOf, textOf } from '../support.js';

/**
 * The rows (cells split on 2+ spaces) of the text table whose provenance line or caption matches
 * `caption`: each table is [provenance], an optional caption, header, rule, rows; side-by-side
 * tables are separated by a blank line.
 */
function tableAfter(nb: Notebook, caption: RegExp): string[][] {
  const tables = outputsOf(nb).flatMap((o) => String(dataOf(o)['text/plain'] ?? '').split('\n\n')).map((t) => t.split('\n'));
  const table = tables.find((lines) => {
    const rule = lines.findIndex((l) => /^-+( +-+)*$/.test(l));
    return rule >= 2 && lines.slice(0, rule - 1).some((l) => caption.test(l));
  });
  assert.ok(table !== undefined, `no table captioned ${caption}`);
  const rule = table.findIndex((l) => /^-+( +-+)*$/.test(l));
  return table.slice(rule + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s{2,}/));
}

/**
 * Asserts what notebook 07 concludes on the shipped scenes family: the measured summary shows every
 * row of data/model-eval.json; the latency measured here puts LCM at 4 steps under half the time of
 * DPM-Solver++ at 25 (about 7x on a quiet machine: a 2x margin and more for noisy machines); the
 * recommendations agree with the data they cite (the quality pick has the lowest FD of the chart,
 * the near-teacher latency pick is a distilled model at 4 steps or fewer); the published table cites
 * every row; and the four starters stop at their TODO without printing a conclusion.
 */
export function checkShipped07(nb: Notebook): void {
  const text = textOf(nb);
  assert.doesNotMatch(text, /TEST FIXTURE/, 'this check is for the shipped models, not the fixture');
  assert.doesNotMatch(text, /skipped:/, 'nothing is skipped on the shipped family');
  assert.doesNotMatch(text, /conclusion:/, 'the starters do not compute the answers');

  const scatter = figure(nb, 'Shipped family: Frechet distance vs UNet rows per image');
  assert.equal(scatter.fig.layout.meta?.provenance, 'recorded');
  const allFd = scatter.fig.data.flatMap((t) => (t.y ?? []) as number[]);
  assert.ok(allFd.length >= 9, `${allFd.length} rows in the summary chart`);

  const latency = new Map(tableAfter(nb, /^batch 1, whole pipeline, 5 interleaved runs/).map((r) => [r[0], Number(r[1])]));
  const lcm4 = latency.get('LCM 4')!;
  const dpm25 = latency.get('teacher DPM-Solver++ 25')!;
  assert.ok(lcm4 > 0 && dpm25 > 0, `latency table: ${[...latency].join('; ')}`);
  assert.ok(lcm4 < dpm25 / 2, `LCM 4 ${lcm4} ms is not under half of DPM-Solver++ 25 ${dpm25} ms`);

  const recs = new Map(tableAfter(nb, /^our shipped family; file sizes measured now/).map((r) => [r[0], r]));
  const quality = recs.get('quality');
  assert.ok(quality, 'a quality recommendation');
  const fdOfPick = Number(/FD ([\d.]+)/.exec(quality[2])![1]);
  assert.ok(Math.abs(fdOfPick - Math.min(...allFd)) < 0.01, `the quality pick (FD ${fdOfPick}) is not the chart's lowest FD ${Math.min(...allFd)}`);
  const fast = recs.get('latency at near-teacher quality');
  assert.ok(fast && /^(LCM|LCM-LoRA|PD) [1-4]$/.test(fast[1]), `near-teacher latency pick: ${fast?.[1]}`);
  assert.ok(recs.get('Turbo-style (adversarial)'), 'Turbo-style is named (and sent to the published table)');

  const publishedRows = tableAfter(nb, /^one row per published number/);
  assert.ok(publishedRows.length >= 10, `${publishedRows.length} published rows`);
  assert.ok(publishedRows.every((r) => /\d{4}/.test(r[r.length - 1])), 'every published row cites a dated source');
  for (let i = 1; i <= 4; i++) assert.match(text, new RegExp(`TODO \\(exercise ${i}\\)\\. Solution: notebooks/solutions/ex${i}-`));
  // LCM's training cost includes the LCM-LoRA stage it started from (models/scenes-training.json: 3.0 + 10.0 min).
  assert.match(text, /lora 3\.0 min \+ lcm 10\.0 min = 13\.0 min/);
  // The measured and published recommendations are reconciled by rows, against both published tables.
  for (const table of ['lcm-laion-aes6-512-g8', 'dmd-coco2014-30k-512-g3']) assert.match(text, new RegExp(`\\*\\*Against ${table}\\*\\*`));
}
