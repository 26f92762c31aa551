/** The conclusions of notebook 06 ("Distillation and quality metrics"), checked on its run with the shipped models. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { checkCommon, figure, textOf } from '../support.js';

const increasing = (y: number[]) => y.every((v, i) => i === 0 || v > y[i - 1]);

/**
 * Asserts what notebook 06 concludes on the shipped scenes family. Simulation (deterministic): the
 * distilled 1-step student is over 3x closer to the toy data than 1-step DDIM. Measured (200 images
 * per row, deterministic on the CPU provider; thresholds leave 2x or more): the PD students' Frechet
 * distance at 8 steps is under half of PD-1's; PD-1 beats teacher DDIM-1 by over 3x; PSNR against
 * the 50-step image grows with every step count for the teacher's DDIM, while LCM's stays within
 * 5 dB across 1-8 steps as its Frechet distance halves; the point of diminishing returns is reported
 * and lies between 4 and 25 steps.
 */
export function checkShipped06(nb: Notebook): void {
  checkCommon(nb, 7, 1);
  const text = textOf(nb);
  assert.doesNotMatch(text, /TEST FIXTURE/, 'this check is for the shipped models, not the fixture');
  assert.doesNotMatch(text, /skipped:/, 'every cell has what it needs in the shipped family');

  const sim = figure(nb, 'SIMULATION: progressive distillation on the toy');
  assert.equal(sim.fig.layout.meta?.provenance, 'simulation');
  const student = sim.series('distilled students (simulated)');
  const ddimToy = sim.series('DDIM, exact denoiser');
  assert.deepEqual(student.x, [1, 2, 4, 8, 16, 32]);
  assert.ok(student.y[0] < ddimToy.y[0] / 3, `toy, 1 step: student ${student.y[0]} vs DDIM ${ddimToy.y[0]}`);

  const pdFig = figure(nb, 'Progressive distillation vs teacher DDIM vs LCM: Frechet distance');
  assert.equal(pdFig.fig.layout.meta?.provenance, 'measured');
  const pd = pdFig.series('PD');
  const ddim = pdFig.series('DDIM');
  assert.deepEqual(pd.x, [1, 2, 4, 8]);
  assert.ok(pd.y[3] < pd.y[0] / 2, `PD FD at 8 steps ${pd.y[3]} vs 1 step ${pd.y[0]}`);
  assert.ok(pd.y[0] < ddim.y[0] / 3, `FD at 1 step: PD ${pd.y[0]} vs teacher DDIM ${ddim.y[0]}`);

  const psnr = figure(nb, 'PSNR against the 50-step image vs steps');
  const teacherPsnr = psnr.series('teacher DDIM');
  assert.deepEqual(teacherPsnr.x, [1, 2, 4, 8, 15, 25]);
  assert.ok(increasing(teacherPsnr.y), `teacher PSNR vs steps: ${teacherPsnr.y}`);
  const lcmPsnr = psnr.series('LCM');
  assert.ok(Math.max(...lcmPsnr.y) - Math.min(...lcmPsnr.y) < 5, `LCM PSNR over 1-8 steps: ${lcmPsnr.y}`);
  assert.ok(Math.max(...lcmPsnr.y) < teacherPsnr.y[3], 'LCM is farther from the 50-step image than 8-step DDIM');
  const lcmFd = figure(nb, 'Frechet distance vs steps: teacher DDIM and LCM').series('LCM');
  assert.ok(lcmFd.y[2] < lcmFd.y[0] / 2, `LCM FD at 4 steps ${lcmFd.y[2]} vs 1 step ${lcmFd.y[0]}`);

  const knee = /Point of diminishing returns: (\d+) steps/.exec(text);
  assert.ok(knee, 'the point of diminishing returns is reported');
  assert.ok(Number(knee[1]) >= 4 && Number(knee[1]) <= 25, `diminishing returns at ${knee[1]} steps`);
}
