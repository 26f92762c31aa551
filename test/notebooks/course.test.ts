import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { NotebookCellError, runNotebook } from '../../src/runner/index.js';
import { checkNotebookSources } from './sourcesCheck.js';
import { checkCommon, figure, fixtureEnv, notebookPath, repoRoot, textOf } from './support.js';

const NB01 = '01-how-diffusion-works';
const NB02 = '02-consistency-models';

describe('the committed notebooks', () => {
  test('every notebook and solution is stripped, declares tslab, and is what scripts/notebooks/build.mjs makes from its source; every source has its notebook', (t) => {
    // A notebook a student ran or edited in Jupyter (autosave) is checked in its committed version (sourcesCheck.ts).
    const check = checkNotebookSources(repoRoot);
    for (const note of check.notes) t.diagnostic(note);
    assert.deepEqual(check.present.filter((n) => n !== '00-smoke.ipynb').sort(), check.built.slice().sort(), 'one source per notebook (00-smoke is written by hand)');
    assert.ok(check.built.length >= 11, `${check.built.length} notebooks built`);
    assert.deepEqual(check.problems, []);
  });
});

describe('course notebooks 01 and 02', { timeout: 240_000 }, () => {
  test('01 runs on the fixture model and shows the simulation, the toy measurements and a model grid', async () => {
    const { notebook: nb } = await runNotebook(notebookPath(NB01), { cellTimeoutS: 90, kernel: { env: fixtureEnv } });
    checkCommon(nb, 4, 2);
    const text = textOf(nb);
    assert.match(text, /MODEL_DIR = .*tiny-sd/);
    assert.match(text, /TEST FIXTURE/);
    // The course overview: the key-techniques table, from the papers, from DDPM to Lightning.
    assert.match(text, /\[published: the papers in the last column/);
    for (const name of ['DDPM', 'DPM-Solver\\+\\+', 'Consistency models', 'LCM-LoRA', 'Turbo \\(ADD\\)', 'Lightning'])
      assert.match(text, new RegExp(`^${name}\\s+(sampler|distillation)`, 'm'), name);
    // Measured on the toy: both samplers improve with steps, and 1 step collapses onto the mean (far from the data).
    const { fig, series } = figure(nb, 'Distance to the true distribution');
    assert.equal(fig.layout.meta?.provenance, 'measured');
    for (const name of ['DDPM', 'DDIM']) {
      const s = series(name);
      assert.deepEqual(s.x, [1, 2, 4, 8, 20, 50]);
      assert.ok(s.y[0] > 0.3, `${name} at 1 step: ${s.y[0]}`);
      assert.ok(s.y[s.y.length - 1] < s.y[0] / 4, `${name} at 50 steps (${s.y[s.y.length - 1]}) is not far better than at 1 step (${s.y[0]})`);
    }
    assert.match(text, /median ms/);
    // The noise schedule is a formula, not a measurement.
    assert.equal(figure(nb, 'Forward process: signal and noise').fig.layout.meta?.provenance, 'formula');
  });

  test('02 runs on the fixture LCM model and shows consistency, the LCM pieces and LCM beating DDIM at 1 step on the toy', async () => {
    const { notebook: nb } = await runNotebook(notebookPath(NB02), { cellTimeoutS: 90, kernel: { env: fixtureEnv } });
    checkCommon(nb, 6, 1);
    const text = textOf(nb);
    assert.match(text, /LCM_MODEL_DIR = .*tiny-lcm/);
    // The consistency property, measured: predictions from every noise level agree with the path's end point.
    const consistency = figure(nb, 'Distance from the path end point').series('consistency f(x_sigma, sigma)');
    assert.ok(Math.max(...consistency.y) < 0.01, `f(x_sigma, sigma) strays ${Math.max(...consistency.y)} from the end point`);
    const denoiser = figure(nb, 'Distance from the path end point').series('posterior mean D(x_sigma, sigma)');
    assert.ok(Math.max(...denoiser.y) > 0.1);
    // LCM's timesteps from the fixture's scheduler config.
    assert.match(text, /999, 759, 499, 259/);
    const heat = figure(nb, 'Guidance-scale embedding').fig;
    assert.equal((heat.data[0] as { type?: string }).type, 'heatmap');
    // Analytic curves are formulas: the guidance embedding and LCM's c_skip / c_out.
    assert.equal(heat.layout.meta?.provenance, 'formula');
    assert.equal(figure(nb, 'LCM boundary condition').fig.layout.meta?.provenance, 'formula');
    // Measured on the toy: LCM with the exact consistency function at 1 step is far closer than DDIM at 1 step.
    const toy = figure(nb, 'LCM vs DDIM on the toy');
    const lcm = toy.series('LCM (exact consistency function)');
    const ddim = toy.series('DDIM (exact posterior mean)');
    assert.deepEqual(lcm.x, [1, 2, 4, 8]);
    assert.ok(lcm.y[0] < ddim.y[0] / 5, `LCM ${lcm.y[0]} vs DDIM ${ddim.y[0]} at 1 step`);
  });

  test('a model setting that names no model fails the model cell with the path in the message', async () => {
    await assert.rejects(
      runNotebook(notebookPath(NB01), { cellTimeoutS: 60, kernel: { env: { ...fixtureEnv, FEWSTEP_MODEL: 'models/no-such-model' } } }),
      (e: unknown) => e instanceof NotebookCellError && e.cellIndex === 6 && /no-such-model/.test(e.message),
    );
  });
});
