/** Conclusions of notebooks 01 and 02 that must hold on the shipped model's executed notebooks. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { checkCommon, figure, textOf } from '../support.js';

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
  const toy = figure(nb, 'LCM vs DDIM on the toy');
  assert.ok(toy.series('LCM (exact consistency function)').y[0] < toy.series('DDIM (exact posterior mean)').y[0] / 5);
}
