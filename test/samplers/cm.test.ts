import { assertCloseToScale, ArrayNoise } from './goldenSupport.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import {
  CM_STOCHASTIC_ITERATIVE_DEFAULTS,
  cmBoundaryScalings,
  createCMStochasticIterativeScheduler,
} from '../../src/samplers/cm.js';
import { runSampler } from '../../src/samplers/loop.js';

/**
 * Golden values: test/golden/make_golden_b.py runs diffusers' own CMStochasticIterativeScheduler (float32 torch),
 * its randn_tensor replaced by the fixed noise arrays in the JSON. Tolerances: timesteps (float64 in diffusers)
 * 1e-9 relative; sigmas 1e-6 relative (float32); samples 1e-5 of the tensor's scale max(1, max|expected|).
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
const golden = JSON.parse(readFileSync(resolve(__dirname, '../../../test/golden/cm.json'), 'utf8')) as {
  n: number;
  noise: number[][];
  grids: {
    config: Record<string, unknown>;
    steps: number;
    timesteps: number[];
    sigmas: number[];
    init_noise_sigma: number;
  }[];
  loops: Loop[];
};

function assertRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= rtol * Math.abs(expected[i]),
      `${what}[${i}]: ${actual[i]} vs diffusers ${expected[i]}`,
    );
  }
}

const fakeModel = (a: number, b: number) => (x: Float32Array, t: number) =>
  x.map((v, i) => a * v + b * Math.cos(0.7 * i + 0.001 * t));
const initialNoise = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));

describe('CMStochasticIterativeScheduler timesteps and Karras sigmas match diffusers', () => {
  for (const g of golden.grids) {
    test(`${JSON.stringify(g.config)}, ${g.steps} steps: timesteps 250 log(sigma), sigmas ending with sigma_min`, () => {
      const s = createCMStochasticIterativeScheduler(g.config);
      s.setTimesteps(g.steps);
      assertRelClose(s.timesteps, g.timesteps, 1e-9, 'timesteps');
      assertRelClose(s.sigmas, g.sigmas, 1e-6, 'sigmas');
      assert.equal(s.initNoiseSigma, g.init_noise_sigma);
    });
  }
});

describe('CMStochasticIterativeScheduler sampling loops match diffusers step by step', () => {
  for (const l of golden.loops) {
    test(`${JSON.stringify(l.config)}, ${l.steps} steps: every sample, every clipped x0, ${l.noise_draws} noise draws`, () => {
      const s = createCMStochasticIterativeScheduler(l.config);
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
      assertRelClose(s.timesteps, l.timesteps, 1e-9, 'timesteps');
      assert.equal(noise.draws, l.noise_draws);
      l.samples.forEach((e, i) => assertCloseToScale(samples[i], e, `step ${i} prevSample`));
      l.denoised.forEach((e, i) => assertCloseToScale(denoised[i], e, `step ${i} denoised`));
    });
  }
});

describe('CMStochasticIterativeScheduler: configuration and step semantics', () => {
  test("defaults are diffusers' (40 training steps, sigma 0.002..80, rho 7, sigma_data 0.5, clip_denoised)", () => {
    const s = createCMStochasticIterativeScheduler({ _class_name: 'CMStochasticIterativeScheduler' });
    assert.equal(s.className, 'CMStochasticIterativeScheduler');
    for (const [k, v] of Object.entries(CM_STOCHASTIC_ITERATIVE_DEFAULTS)) assert.deepEqual(s.config[k], v, k);
    assert.equal(s.initNoiseSigma, 80);
    assert.equal(s.numTrainTimesteps, 40);
    assert.equal(s.alphasCumprod.length, 40);
  });

  test('scaleModelInput divides by sqrt(sigma^2 + sigma_data^2)', () => {
    const s = createCMStochasticIterativeScheduler({});
    s.setTimesteps(3);
    const x = Float32Array.from([1, -2, 3]);
    const scaled = s.scaleModelInput(x, 1);
    const c = Math.sqrt(s.sigmas[1] ** 2 + 0.25);
    scaled.forEach((v, k) => assert.ok(Math.abs(v - x[k] / c) < 1e-6 * Math.abs(x[k] / c)));
    assert.deepEqual(x, Float32Array.from([1, -2, 3]), 'the input is not modified');
  });

  test('the boundary condition f(x, sigma_min) = x holds: c_skip = 1 and c_out = 0 at sigma = sigma_min (Song et al. 2023)', () => {
    const { cSkip, cOut } = cmBoundaryScalings(0.002, 0.002, 0.5);
    assert.equal(cSkip, 1);
    assert.equal(cOut, 0);
  });

  test('clip_denoised keeps x0 in [-1, 1]; one-step sampling returns it and needs no noise', () => {
    const s = createCMStochasticIterativeScheduler({});
    s.setTimesteps(1);
    const x = initialNoise(8).map((v) => 80 * v);
    const out = s.step(
      x.map((v) => 0.5 * v),
      0,
      x,
    );
    out.denoised.forEach((v) => assert.ok(v >= -1 && v <= 1));
    assert.ok(
      out.denoised.some((v) => Math.abs(v) === 1),
      'this input does get clipped',
    );
    assert.deepEqual(out.prevSample, out.denoised);
  });

  test('a multistep run re-noises with sqrt(sigma_next^2 - sigma_min^2) z', () => {
    const s = createCMStochasticIterativeScheduler({ clip_denoised: false });
    s.setTimesteps(4);
    const x = initialNoise(8);
    const z = new Rng(9).normal(8);
    const out = s.step(
      x.map((v) => 0.5 * v),
      0,
      x,
      { noise: { normal: () => z.slice() } },
    );
    const k = Math.sqrt(s.sigmas[1] ** 2 - 0.002 ** 2);
    out.prevSample.forEach((v, i) =>
      assert.ok(Math.abs(v - (out.denoised[i] + k * z[i])) < 1e-5 * Math.max(1, Math.abs(v))),
    );
  });
});

describe('CMStochasticIterativeScheduler: bad input', () => {
  for (const steps of [0, -1, 2.5, Number.NaN, 41]) {
    test(`setTimesteps(${steps}) throws InvalidArgumentError naming numInferenceSteps (40 training steps)`, () => {
      assert.throws(
        () => createCMStochasticIterativeScheduler({}).setTimesteps(steps),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
      );
    });
  }

  test('a multistep run without a noise source throws InvalidArgumentError naming noise', () => {
    const s = createCMStochasticIterativeScheduler({});
    s.setTimesteps(2);
    assert.throws(
      () => s.step(new Float32Array(4), 0, new Float32Array(4)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'noise',
    );
  });

  test('NaN in the model output throws NumericalError', () => {
    const s = createCMStochasticIterativeScheduler({});
    s.setTimesteps(2);
    assert.throws(
      () => s.step(Float32Array.from([Number.NaN, 0]), 0, new Float32Array(2), { noise: new Rng(1) }),
      NumericalError,
    );
  });

  test('sigma_max not above sigma_min, a non-positive sigma_data or a non-boolean clip_denoised are rejected by name', () => {
    assert.throws(
      () => createCMStochasticIterativeScheduler({ sigma_max: 0.001 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'sigma_max',
    );
    assert.throws(
      () => createCMStochasticIterativeScheduler({ sigma_data: 0 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'sigma_data',
    );
    assert.throws(
      () => createCMStochasticIterativeScheduler({ clip_denoised: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'clip_denoised',
    );
    assert.throws(
      () => createCMStochasticIterativeScheduler({ num_train_timesteps: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'num_train_timesteps',
    );
  });
});
