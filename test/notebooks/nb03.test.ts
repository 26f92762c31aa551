import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runNotebook } from '../../src/runner/index.js';
import { checkCommon, figure, fixtureEnv, notebookPath, structuredResult, textOf } from './support.js';
import { checkResult03, type Result03 } from './shippedChecks/nb03.js';

const NB03 = '03-generating-with-fewer-steps';
const STEP_COUNTS = [1, 2, 4, 8, 15, 25, 50];

describe('course notebook 03 (generating images with fewer steps)', { timeout: 240_000 }, () => {
  test('runs on the fixture models: a timed image per step count for both methods, preview strips with one image per step, the few-step comparison and the published table', async () => {
    const { notebook: nb } = await runNotebook(notebookPath(NB03), { cellTimeoutS: 90, kernel: { env: fixtureEnv } });
    checkCommon(nb, 3, 5);
    const text = textOf(nb);
    assert.match(text, /TEST FIXTURE/);
    assert.match(text, /LCM: tiny-lcm \(lcm\)/);
    assert.match(text, /DPM-Solver\+\+: tiny-sd \(sd\), scheduler DPMSolverMultistepScheduler/);
    assert.match(text, /14 configurations x 5 timed runs/);
    assert.match(text, /grid: 7 images for 7 step counts \(1, 2, 4, 8, 15, 25, 50\)/);
    assert.match(text, /speed code, relative to the 50-step time/);
    const timing = figure(nb, 'Measured time per image vs steps');
    assert.equal(timing.fig.layout.meta?.provenance, 'measured');
    for (const name of ['LCM', 'DPM-Solver++', 'course plan']) {
      const s = timing.series(name);
      assert.deepEqual(s.x, STEP_COUNTS);
      assert.ok(s.y.every((ms) => Number.isFinite(ms) && ms > 0), `${name}: ${s.y}`);
    }
    assert.match(text, /LCM, 4 steps: 4 previews \(one per step\), all shown/);
    assert.match(text, /DPM-Solver\+\+, 25 steps: 25 previews \(one per step\), 7 shown: steps 1, 5, 9, 13, 17, 21, 25/);
    const sharpening = figure(nb, 'Sharpness of the denoised estimate at each step');
    assert.equal(sharpening.series('LCM, 4 steps').y.length, 4);
    assert.equal(sharpening.series('DPM-Solver++, 25 steps').y.length, 25);
    const few = figure(nb, 'Sharpness of the final image at 1, 2 and 4 steps');
    assert.deepEqual(few.series('teacher DDIM').x, [1, 2, 4]);
    assert.deepEqual(few.series('LCM').x, [1, 2, 4]);
    assert.match(text, /published: Luo, Tan, Huang, Li, Zhao, 2023, Table 1/);
    assert.doesNotMatch(text, /skipped:/);
    // On the fixture quality is PSNR against the 50-step DDIM images; every comparison carries intervals.
    const r = structuredResult<Result03>(nb, '03');
    assert.equal(r.fixture, true);
    assert.equal(r.metric, 'psnr');
    checkResult03(r);
  });

  test('with a teacher and no few-step model, times the one method and skips the teacher-vs-LCM comparison with a message', async () => {
    const env = { ...fixtureEnv, FEWSTEP_LCM_MODEL: '' };
    const { notebook: nb } = await runNotebook(notebookPath(NB03), { cellTimeoutS: 90, kernel: { env } });
    checkCommon(nb, 2, 4);
    const text = textOf(nb);
    assert.match(text, /7 configurations x 5 timed runs/);
    assert.match(text, /course plan: 1 -> DPM-Solver\+\+, .* 50 -> DPM-Solver\+\+/);
    assert.deepEqual(figure(nb, 'Measured time per image vs steps').fig.data.map((d) => d.name), ['DPM-Solver++', 'course plan']);
    assert.equal(text.match(/skipped: this plan has no teacher and few-step model pair to compare/g)?.length, 4);
  });
});
