import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { createScheduler } from '../../src/samplers/registry.js';
import type { Scheduler } from '../../src/samplers/types.js';
import { mixtureDenoiseVE } from '../../src/toy/denoiser.js';
import { exampleMixture2d } from '../../src/toy/mixture.js';
import { createToyModel, type ToyModelTarget } from '../../src/toy/modelAdapter.js';
import { consistencyMap } from '../../src/toy/pfOde.js';

const isErr = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
const m = exampleMixture2d();
const n = 64;
const x0 = m.sample(n, new Rng(1));
const eps = new Rng(2).normal(n * 2);

/**
 * A sample at step `i` in the scheduler's own coordinates, and the same point in VE coordinates with
 * its sigma. VP samplers: x_t = sqrt(abar) x0 + sqrt(1 - abar) eps with abar = alphasCumprod[t];
 * sigma-based samplers (Euler, CM): x = x0 + sigma eps with sigma = scheduler.sigmas[i].
 */
function noisyAt(s: Scheduler, i: number): { sample: Float32Array; xVE: Float64Array; sigma: number } {
  const t = s.timesteps[i];
  if (s.sigmas.length > 0 && s.className !== 'DPMSolverMultistepScheduler') {
    const sigma = s.sigmas[i];
    const sample = x0.map((v, k) => v + sigma * eps[k]);
    return { sample, xVE: Float64Array.from(sample), sigma };
  }
  const a = s.alphasCumprod[t];
  const sample = x0.map((v, k) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[k]);
  return { sample, xVE: Float64Array.from(sample, (v) => v / Math.sqrt(a)), sigma: Math.sqrt((1 - a) / a) };
}

describe('createToyModel', () => {
  // Every class, every prediction type it supports: the scheduler's own step() must report as its
  // `denoised` exactly the toy target computed independently in VE coordinates.
  const cases: [string, Record<string, unknown>, number, ToyModelTarget][] = [
    ['DDPMScheduler', {}, 20, 'posterior-mean'],
    ['DDPMScheduler', { prediction_type: 'v_prediction' }, 20, 'posterior-mean'],
    ['DDIMScheduler', {}, 20, 'posterior-mean'],
    ['DDIMScheduler', { prediction_type: 'v_prediction' }, 20, 'posterior-mean'],
    ['DDIMScheduler', { prediction_type: 'sample' }, 20, 'posterior-mean'],
    ['EulerDiscreteScheduler', {}, 20, 'posterior-mean'],
    ['EulerDiscreteScheduler', { prediction_type: 'v_prediction' }, 20, 'posterior-mean'],
    ['EulerAncestralDiscreteScheduler', {}, 20, 'posterior-mean'],
    ['DPMSolverMultistepScheduler', {}, 20, 'posterior-mean'],
    ['DPMSolverMultistepScheduler', { prediction_type: 'v_prediction' }, 20, 'posterior-mean'],
    ['LCMScheduler', {}, 4, 'consistency'],
    ['LCMScheduler', {}, 4, 'posterior-mean'],
    // a small timestep_scaling makes LCM's c_skip large, so the adapter's inversion of it is exercised
    ['LCMScheduler', { timestep_scaling: 0.005 }, 8, 'consistency'],
    ['CMStochasticIterativeScheduler', { clip_denoised: false }, 3, 'consistency'],
    ['CMStochasticIterativeScheduler', { clip_denoised: false }, 3, 'posterior-mean'],
  ];
  for (const [cls, cfg, steps, target] of cases) {
    test(`${cls} ${JSON.stringify(cfg)} (${target}): the step's denoised equals the exact target`, () => {
      const s = createScheduler({ _class_name: cls, ...cfg });
      s.setTimesteps(steps);
      const model = createToyModel(s, m, { target });
      for (const i of [0, 1, steps - 1]) {
        const { sample, xVE, sigma } = noisyAt(s, i);
        const out = model(s.scaleModelInput(sample, i), s.timesteps[i], i);
        const denoised = s.step(out, i, sample, { noise: new Rng(3) }).denoised;
        const expected =
          target === 'consistency'
            ? consistencyMap(m, xVE, sigma, { sigmaMin: 0.002 })
            : mixtureDenoiseVE(m, xVE, sigma);
        let maxErr = 0;
        for (let k = 0; k < expected.length; k++) maxErr = Math.max(maxErr, Math.abs(denoised[k] - expected[k]));
        // float32 round trip through the parameterisation; at sigma ~ 150 the noisy input is ~150 and eps
        // carries 1e-7 relative error, amplified by sqrt(1 - abar) / sqrt(abar) when x0 is rebuilt
        assert.ok(
          maxErr < 1e-5 * Math.max(1, sigma),
          `step ${i} (sigma ${sigma.toFixed(3)}): max |denoised - target| = ${maxErr}`,
        );
      }
    });
  }

  test('defaults to the consistency target for LCM and CM and to the posterior mean elsewhere', () => {
    const cm = createScheduler({ _class_name: 'CMStochasticIterativeScheduler', clip_denoised: false });
    cm.setTimesteps(1);
    const { sample } = noisyAt(cm, 0);
    const fDefault = createToyModel(cm, m)(cm.scaleModelInput(sample, 0), cm.timesteps[0], 0);
    const fConsistency = createToyModel(cm, m, { target: 'consistency' })(
      cm.scaleModelInput(sample, 0),
      cm.timesteps[0],
      0,
    );
    assert.deepEqual(fDefault, fConsistency);
    const ddim = createScheduler({ _class_name: 'DDIMScheduler' });
    ddim.setTimesteps(10);
    const x = noisyAt(ddim, 2).sample;
    assert.deepEqual(
      createToyModel(ddim, m)(x, ddim.timesteps[2], 2),
      createToyModel(ddim, m, { target: 'posterior-mean' })(x, ddim.timesteps[2], 2),
    );
  });

  test('a fractional timestep on a VP scheduler interpolates sigma_t linearly between its neighbours', () => {
    const s = createScheduler({ _class_name: 'DDIMScheduler', prediction_type: 'sample' });
    s.setTimesteps(10);
    const sig = (t: number) => Math.sqrt((1 - s.alphasCumprod[t]) / s.alphasCumprod[t]);
    const sigma = 0.25 * sig(100) + 0.75 * sig(101);
    const xt = Float32Array.from(x0, (v) => v / Math.sqrt(1 + sigma * sigma));
    const got = createToyModel(s, m)(xt, 100.75, 0);
    const expected = mixtureDenoiseVE(m, x0, sigma);
    for (let k = 0; k < got.length; k++) assert.ok(Math.abs(got[k] - expected[k]) < 1e-5);
  });

  test('rejects an unknown scheduler class, a bad target, a ragged sample and an out-of-range timestep or step index', () => {
    const ddim = createScheduler({ _class_name: 'DDIMScheduler' });
    ddim.setTimesteps(10);
    assert.throws(
      () => createToyModel({ ...ddim, className: 'PNDMScheduler' } as Scheduler, m),
      isErr('scheduler.className'),
    );
    assert.throws(() => createToyModel(ddim, m, { target: 'score' as ToyModelTarget }), isErr('target'));
    const model = createToyModel(ddim, m);
    assert.throws(() => model(new Float32Array(3), 500, 0), isErr('scaledSample.length'));
    assert.throws(() => model(new Float32Array(2), 1000, 0), isErr('timestep'));
    assert.throws(() => model(new Float32Array(2), -1, 0), isErr('timestep'));
    const euler = createScheduler({ _class_name: 'EulerDiscreteScheduler' });
    euler.setTimesteps(10);
    assert.throws(() => createToyModel(euler, m)(new Float32Array(2), 500, 11), isErr('stepIndex'));
  });
});
