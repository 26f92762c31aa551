/** Conclusions of notebooks 01 and 02 that must hold on the shipped model's executed notebooks. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { checkCommon, figure, structuredResult, textOf, type ResultInterval } from '../support.js';

export function checkShipped01(nb: Notebook): void {
  checkCommon(nb, 4, 2);
  const text = textOf(nb);
  assert.match(text, /MODEL_DIR = .*scenes-teacher/);
  assert.doesNotMatch(text, /TEST FIXTURE/);
  assert.match(text, /scenes-teacher: family sd, 64x64 px, guidance 3, provider/);
  const { series } = figure(nb, 'Distance to the true distribution');
  const ddim = series('DDIM');
  assert.ok(ddim.y[ddim.y.length - 1] < ddim.y[0] / 4);
}

export function checkShipped02(nb: Notebook): void {
  checkCommon(nb, 6, 1);
  const text = textOf(nb);
  assert.match(text, /LCM_MODEL_DIR = .*scenes-lcm/);
  assert.match(text, /scenes-lcm: family lcm, 64 px, guidance 4,/);
  checkConsistencyDistillation(nb);
  const toy = figure(nb, 'LCM vs DDIM on the toy');
  assert.ok(toy.series('LCM (exact consistency function)').y[0] < toy.series('DDIM (exact posterior mean)').y[0] / 5);
}

/**
 * Section 4 of notebook 02 (the toy does not depend on the model, so the fixture run checks it too):
 * consistency distillation, labelled a simulation, trained the 1-step student far past 1-step DDIM,
 * with intervals apart, and the skipping step beat adjacent levels on the fine grid.
 */
export function checkConsistencyDistillation(nb: Notebook): void {
  const { fig, series } = figure(nb, 'Consistency distillation on the toy');
  assert.equal(fig.layout.meta?.provenance, 'simulation');
  const curve = series('1-step student');
  assert.equal(curve.x[0], 0);
  assert.ok(curve.y[curve.y.length - 1] < curve.y[0] / 3, `1-step distance ${curve.y[0]} -> ${curve.y[curve.y.length - 1]}`);
  type Row = { method: string; steps: number | null; distance: ResultInterval };
  const cd = structuredResult<{
    consistencyDistillation: {
      provenance: string;
      rows: Row[];
      verdicts: string[];
      skipping: { k: number; distance: ResultInterval }[];
      skipVerdict: string;
    };
  }>(nb, '02-consistency-models').consistencyDistillation;
  assert.equal(cd.provenance, 'simulation');
  const at = (method: string, steps: number) => {
    const hit = cd.rows.find((r) => r.method.startsWith(method) && r.steps === steps);
    assert.ok(hit, `${method} ${steps}`);
    return hit.distance;
  };
  const student = at('consistency student', 1);
  const ddim = at('DDIM', 1);
  assert.ok(student.high < ddim.low / 3, `student ${student.high} vs DDIM ${ddim.low} at 1 step`);
  assert.equal(cd.verdicts[0], 'first better');
  assert.ok(cd.rows.some((r) => r.method.startsWith('sampling floor')), 'the table shows the sampling floor');
  assert.deepEqual(cd.skipping.map((s) => s.k), [1, 4]);
  assert.equal(cd.skipVerdict, 'first better', 'k = 4 beats k = 1 on the fine grid');
  const text = textOf(nb);
  assert.match(text, /student, 1 step \(SW2 [\d.]+ \[[\d.]+, [\d.]+\]\) vs DDIM, 1 step .*: student, 1 step is better/);
}
