import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner/index.js';
import { checkCommon, figure, fixtureEnv, notebookPath, structuredResult, textOf, type ResultSummary } from './support.js';

const NB06 = '06-distillation-and-metrics';

describe('course notebook 06 (distillation and quality metrics)', { timeout: 300_000 }, () => {
  test('runs on the fixture models: the table, the published PD curve, the simulation, PSNR/SSIM vs steps a diminishing-returns step count and its structured result; the evaluator, PD and adversarial cells say skipped', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-nb06-cache-'));
    const { notebook: nb } = await runNotebook(notebookPath(NB06), { cellTimeoutS: 120, kernel: { env: { ...fixtureEnv, FEWSTEP_CACHE_DIR: cacheDir } } });
    checkCommon(nb, 5, 0);
    const text = textOf(nb);
    assert.match(text, /TEST FIXTURE/);
    assert.match(text, /Progressive distillation .*Salimans & Ho, ICLR 2022, arXiv 2202\.00512/);
    assert.match(text, /skipped: the comparison needs the progressive-distillation students/);
    assert.match(text, /skipped: the Frechet distance needs the scene evaluator/);
    assert.match(text, /\[published: the papers in the last column \(fs.DISTILLATION_METHODS\)\]\nthe methods as the cited papers describe them/);

    const published = figure(nb, 'Progressive distillation: CIFAR-10 FID vs sampling steps');
    assert.equal(published.fig.layout.meta?.provenance, 'published');

    // The simulation does not depend on the model: the 1-step student beats 1-step DDIM on the toy.
    const sim = figure(nb, 'SIMULATION: progressive distillation on the toy');
    assert.equal(sim.fig.layout.meta?.provenance, 'simulation');
    const student = sim.series('distilled students (simulated)');
    const ddim = sim.series('DDIM, exact denoiser');
    assert.deepEqual(student.x, [1, 2, 4, 8, 16, 32]);
    assert.ok(student.y[0] < ddim.y[0] / 3, `1 step: student ${student.y[0]} vs DDIM ${ddim.y[0]}`);
    assert.match(text, /the distilled student is at [\d.]+, plain DDIM at [\d.]+/);

    // PSNR/SSIM run without an evaluator; the fixture's 1-8 step rows are compared with its 50-step images.
    const psnr = figure(nb, 'PSNR against the 50-step image vs steps');
    assert.equal(psnr.fig.layout.meta?.provenance, 'measured');
    assert.deepEqual(psnr.series('teacher DDIM').x, [1, 2, 4, 8, 15, 25]);
    assert.deepEqual(psnr.series('LCM').x, [1, 2, 4, 8]);
    const ssim = figure(nb, 'SSIM against the 50-step image vs steps').series('teacher DDIM');
    assert.ok(ssim.y.every((v) => v > -1 && v <= 1));
    assert.match(text, /Metric: \*\*SSIM against the 50-step image\*\*/);
    assert.match(text, /Point of diminishing returns: \d+ steps?\./);

    // The structured result: every row with PSNR/SSIM intervals from the session, nothing adversarial measured yet.
    const r = structuredResult<{ metric: string; fixture: boolean; results: ResultSummary[]; adversarial: { measured: string[]; missing: string[] }; diminishing: { steps: number } }>(nb, '06');
    assert.equal(r.fixture, true);
    assert.equal(r.metric, 'ssim');
    assert.deepEqual(r.results.filter((x) => x.family === 'DDIM').map((x) => x.steps), [1, 2, 4, 8, 15, 25]);
    for (const x of r.results) {
      const p = x.quality?.psnrDb;
      assert.ok(p && p.low <= p.value && p.value <= p.high, `${x.name}: PSNR with its interval`);
      assert.match(x.id, /^model=models\/fixtures\//);
    }
    assert.deepEqual(psnr.series('teacher DDIM').y, r.results.filter((x) => x.family === 'DDIM').map((x) => x.quality!.psnrDb!.value), 'the chart draws the emitted rows');
    assert.deepEqual(r.adversarial.measured, []);
    assert.match(text, /skipped: adversarial distillation \(scenes-turbo and scenes-lightning-N belong to the shipped family/);
    assert.match(text, /SDXL-Lightning: No verified table was found/);
  });
});
