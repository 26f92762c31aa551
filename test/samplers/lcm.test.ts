import { assertCloseToScale, ArrayNoise } from './goldenSupport.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { createLCMScheduler, LCM_DEFAULTS, lcmBoundaryScalings, lcmTimesteps } from '../../src/samplers/lcm.js';
import { runSampler } from '../../src/samplers/loop.js';

/**
 * Golden values: test/golden/make_golden_b.py runs diffusers' own LCMScheduler (float32 torch), with its
 * randn_tensor replaced by the fixed noise arrays stored in the JSON (draw k = noise[k]).
 * Tolerance, float32-style: |actual - expected| <= 1e-5 * max(1, max_k |expected_k|) per tensor.
 */

interface Loop {
  config: Record<string, unknown>;
  steps: number;
  a: number;
  b: number;
  noise_draws: number;
  timesteps: number[];
  samples: number[][];
  denoised: number[][];
}
const golden = JSON.parse(readFileSync(resolve(__dirname, '../../../test/golden/lcm.json'), 'utf8')) as {
  n: number;
  noise: number[][];
  grids: { config: Record<string, unknown>; steps: number; timesteps: number[] }[];
  scalings: { timestep: number; c_skip: number; c_out: number }[];
  loops: Loop[];
};

const fakeModel = (a: number, b: number) => (x: Float32Array, t: number) =>
  x.map((v, i) => a * v + b * Math.cos(0.7 * i + 0.001 * t));
const initialNoise = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));

describe('LCMScheduler timesteps match diffusers', () => {
  test('4 steps of the 50-step distillation grid over 1000 training steps are [999, 759, 499, 259]', () => {
    const s = createLCMScheduler({});
    s.setTimesteps(4);
    assert.deepEqual(s.timesteps, [999, 759, 499, 259]);
    assert.deepEqual(lcmTimesteps(4, 50, 1000), [999, 759, 499, 259]);
  });

  for (const g of golden.grids) {
    test(`${JSON.stringify(g.config)}, ${g.steps} steps`, () => {
      const s = createLCMScheduler(g.config);
      s.setTimesteps(g.steps);
      assert.deepEqual(s.timesteps, g.timesteps);
      assert.equal(s.numInferenceSteps, g.steps);
    });
  }
});

describe('LCMScheduler boundary condition and sampling match diffusers', () => {
  test('c_skip and c_out (sigma_data 0.5, timestep_scaling 10) agree with diffusers to float32 precision', () => {
    for (const c of golden.scalings) {
      const { cSkip, cOut } = lcmBoundaryScalings(c.timestep, 10);
      assert.ok(
        Math.abs(cSkip - c.c_skip) <= 1e-6 * Math.max(Math.abs(c.c_skip), 1e-30) + 1e-12,
        `c_skip(${c.timestep}): ${cSkip} vs ${c.c_skip}`,
      );
      assert.ok(Math.abs(cOut - c.c_out) <= 1e-6, `c_out(${c.timestep}): ${cOut} vs ${c.c_out}`);
    }
  });

  for (const l of golden.loops) {
    test(`${JSON.stringify(l.config)}, ${l.steps} steps: every sample, every denoised, and ${l.noise_draws} noise draws`, () => {
      const s = createLCMScheduler(l.config);
      const noise = new ArrayNoise(golden.noise);
      const samples: Float32Array[] = [];
      const denoised: Float32Array[] = [];
      runSampler(s, fakeModel(l.a, l.b), initialNoise(golden.n), {
        steps: l.steps,
        noise,
        callback: (info) => {
          samples.push(info.sample);
          denoised.push(info.denoised);
        },
      });
      assert.deepEqual(s.timesteps, l.timesteps);
      assert.equal(noise.draws, l.noise_draws);
      l.samples.forEach((e, i) => assertCloseToScale(samples[i], e, `step ${i} prevSample`));
      l.denoised.forEach((e, i) => assertCloseToScale(denoised[i], e, `step ${i} denoised`));
    });
  }
});

describe('LCMScheduler: configuration and step semantics', () => {
  test("defaults are diffusers' (scaled_linear 0.00085..0.012, original_inference_steps 50, timestep_scaling 10)", () => {
    const s = createLCMScheduler({ _class_name: 'LCMScheduler' });
    assert.equal(s.className, 'LCMScheduler');
    for (const [k, v] of Object.entries(LCM_DEFAULTS)) assert.deepEqual(s.config[k], v, k);
    assert.equal(s.initNoiseSigma, 1);
    assert.equal(s.sigmas.length, 0);
  });

  test('original_inference_steps from the config changes the grid', () => {
    const s = createLCMScheduler({ original_inference_steps: 25 });
    s.setTimesteps(4);
    assert.deepEqual(s.timesteps, lcmTimesteps(4, 25, 1000));
    assert.notDeepEqual(s.timesteps, [999, 759, 499, 259]);
  });

  test('the last step returns denoised as prevSample and draws no noise; one-step sampling needs no noise source', () => {
    const s = createLCMScheduler({});
    s.setTimesteps(1);
    const x = initialNoise(8);
    const out = s.step(
      x.map((v) => 0.3 * v),
      0,
      x,
    );
    assert.deepEqual(out.prevSample, out.denoised);
  });

  test('a step before the last re-noises: sqrt(abar_next) denoised + sqrt(1 - abar_next) z', () => {
    const s = createLCMScheduler({});
    s.setTimesteps(4);
    const x = initialNoise(8);
    const z = new Rng(5).normal(8);
    const out = s.step(
      x.map((v) => 0.3 * v),
      0,
      x,
      { noise: { normal: () => z.slice() } },
    );
    const abar = s.alphasCumprod[759];
    out.prevSample.forEach((v, k) =>
      assert.ok(Math.abs(v - (Math.sqrt(abar) * out.denoised[k] + Math.sqrt(1 - abar) * z[k])) < 1e-6),
    );
  });

  test('the same seed gives the same image; another seed another one', () => {
    const run = (seed: number) =>
      runSampler(createLCMScheduler({}), (v) => v.map((u) => 0.2 * u), initialNoise(8), {
        steps: 4,
        noise: new Rng(seed),
      }).sample;
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });
});

describe('LCMScheduler: bad input', () => {
  for (const steps of [0, -1, 2.5, Number.NaN, 1001]) {
    test(`setTimesteps(${steps}) throws InvalidArgumentError naming numInferenceSteps`, () => {
      assert.throws(
        () => createLCMScheduler({}).setTimesteps(steps),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
      );
    });
  }

  test('more steps than original_inference_steps throws InvalidArgumentError naming numInferenceSteps and original_inference_steps', () => {
    assert.throws(
      () => createLCMScheduler({}).setTimesteps(51),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.field === 'numInferenceSteps' &&
        e.message.includes('original_inference_steps = 50'),
    );
  });

  test('original_inference_steps above num_train_timesteps is rejected', () => {
    assert.throws(
      () => createLCMScheduler({ original_inference_steps: 1001 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'original_inference_steps',
    );
  });

  test('a multistep run without a noise source throws InvalidArgumentError naming noise', () => {
    const s = createLCMScheduler({});
    s.setTimesteps(4);
    assert.throws(
      () => s.step(new Float32Array(4), 0, new Float32Array(4)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'noise',
    );
  });

  test('NaN in the model output throws NumericalError', () => {
    const s = createLCMScheduler({});
    s.setTimesteps(4);
    assert.throws(
      () => s.step(Float32Array.from([1, Number.NaN]), 0, new Float32Array(2), { noise: new Rng(1) }),
      NumericalError,
    );
  });

  test('thresholding and unknown prediction types are rejected by name', () => {
    assert.throws(
      () => createLCMScheduler({ thresholding: true }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'thresholding',
    );
    assert.throws(
      () => createLCMScheduler({ prediction_type: 'x0' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'prediction_type',
    );
  });
});
