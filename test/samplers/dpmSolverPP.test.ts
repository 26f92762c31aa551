import { assertCloseToScale } from './goldenSupport.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { createDPMSolverMultistepScheduler, DPM_SOLVER_MULTISTEP_DEFAULTS } from '../../src/samplers/dpmSolverPP.js';
import { runSampler } from '../../src/samplers/loop.js';
import { EMPTY_STATE, type SamplerState } from '../../src/samplers/types.js';

/**
 * Golden values: test/golden/make_golden_b.py runs diffusers' own DPMSolverMultistepScheduler (float32 torch).
 * Tolerance, float32-style: |actual - expected| <= 1e-5 * max(1, max_k |expected_k|), relative to the tensor's
 * scale (diffusers rounds every intermediate to float32, this code keeps coefficients in float64; measured worst
 * 8e-7 of scale, while a float64 re-derivation differs from diffusers by 2e-7 of scale). Sigmas: 1e-5 relative each.
 */
const RTOL = 1e-5;

interface Grid {
  config: Record<string, unknown>;
  steps: number;
  timesteps: number[];
  sigmas: number[];
}
interface Loop {
  config: Record<string, unknown>;
  steps: number;
  a: number;
  b: number;
  timesteps: number[];
  samples: number[][];
  denoised: number[][];
}
const golden = JSON.parse(readFileSync(resolve(__dirname, '../../../test/golden/dpmSolverPP.json'), 'utf8')) as {
  n: number;
  grids: Grid[];
  loops: Loop[];
};

/** Scale-relative closeness of a tensor (see the tolerance above). */

/** Element-wise relative closeness (sigmas). */
function assertRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= RTOL * Math.abs(expected[i]), `${what}[${i}]: ${actual[i]} vs diffusers ${expected[i]}`);
  }
}

/** The golden run's fake model: F(x, t)[i] = a x[i] + b cos(0.7 i + 0.001 t). */
function fakeModel(a: number, b: number) {
  return (x: Float32Array, t: number) => x.map((v, i) => a * v + b * Math.cos(0.7 * i + 0.001 * t));
}

const initialNoise = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
const describeConfig = (c: Record<string, unknown>) => JSON.stringify(c);

describe('DPMSolverMultistepScheduler timesteps and sigmas match diffusers', () => {
  for (const g of golden.grids) {
    if (g.timesteps.includes(-1)) continue;
    test(`${describeConfig(g.config)}, ${g.steps} steps`, () => {
      const s = createDPMSolverMultistepScheduler(g.config);
      s.setTimesteps(g.steps);
      assert.deepEqual(s.timesteps, g.timesteps);
      assert.equal(s.numInferenceSteps, g.timesteps.length);
      assertRelClose(s.sigmas, g.sigmas, 'sigmas');
    });
  }

  test("known divergence: where diffusers' trailing grid gets an extra timestep -1 (61 steps of 1000), the grid keeps the 61 valid ones", () => {
    const g = golden.grids.find((x) => x.config.timestep_spacing === 'trailing' && x.steps === 61)!;
    assert.deepEqual(g.timesteps.slice(-2), [15, -1], 'the golden run shows the extra -1');
    const s = createDPMSolverMultistepScheduler(g.config);
    s.setTimesteps(61);
    assert.deepEqual(s.timesteps, g.timesteps.slice(0, 61));
    assert.equal(s.numInferenceSteps, 61);
    assertRelClose(s.sigmas, [...g.sigmas.slice(0, 61), 0], 'sigmas');
  });
});

describe('DPMSolverMultistepScheduler sampling loops match diffusers step by step', () => {
  for (const l of golden.loops) {
    test(`${describeConfig(l.config)}, ${l.steps} steps: every sample and x0 prediction`, () => {
      const s = createDPMSolverMultistepScheduler(l.config);
      const samples: Float32Array[] = [];
      const denoised: Float32Array[] = [];
      runSampler(s, fakeModel(l.a, l.b), initialNoise(golden.n), {
        steps: l.steps,
        callback: (info) => {
          samples.push(info.sample);
          denoised.push(info.denoised);
        },
      });
      assert.deepEqual(s.timesteps, l.timesteps);
      assert.equal(samples.length, l.steps);
      l.samples.forEach((e, i) => assertCloseToScale(samples[i], e, `step ${i} prevSample`));
      l.denoised.forEach((e, i) => assertCloseToScale(denoised[i], e, `step ${i} denoised`));
    });
  }
});

describe('DPMSolverMultistepScheduler: configuration', () => {
  test("defaults are diffusers' (dpmsolver++, order 2, midpoint, linspace, final sigma zero) and keys given win", () => {
    const s = createDPMSolverMultistepScheduler({
      _class_name: 'DPMSolverMultistepScheduler',
      beta_schedule: 'scaled_linear',
    });
    assert.equal(s.className, 'DPMSolverMultistepScheduler');
    for (const [k, v] of Object.entries(DPM_SOLVER_MULTISTEP_DEFAULTS)) {
      if (k !== 'beta_schedule') assert.deepEqual(s.config[k], v, k);
    }
    assert.equal(s.config.beta_schedule, 'scaled_linear');
    assert.equal(s.numTrainTimesteps, 1000);
    assert.equal(s.initNoiseSigma, 1);
    assert.equal(s.numInferenceSteps, 0);
  });

  test('sigmas hold one entry per step plus the final sigma (0 for final_sigmas_type "zero")', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(7);
    assert.equal(s.timesteps.length, 7);
    assert.equal(s.sigmas.length, 8);
    assert.equal(s.sigmas[7], 0);
    for (let i = 1; i < 7; i++) assert.ok(s.sigmas[i] < s.sigmas[i - 1], 'sigmas decrease');
  });

  test('the solver types of UniPC/DEIS ("logrho", "bh1", "bh2") map to "midpoint", as in diffusers', () => {
    assert.equal(createDPMSolverMultistepScheduler({ solver_type: 'bh2' }).config.solver_type, 'midpoint');
  });

  const rejected: [string, Record<string, unknown>][] = [
    ['algorithm_type', { algorithm_type: 'sde-dpmsolver++' }],
    ['algorithm_type', { algorithm_type: 'dpmsolver' }],
    ['solver_order', { solver_order: 4 }],
    ['solver_order', { solver_order: 0 }],
    ['solver_type', { solver_type: 'rk4' }],
    ['prediction_type', { prediction_type: 'flow_prediction' }],
    ['timestep_spacing', { timestep_spacing: 'uniform' }],
    ['final_sigmas_type', { final_sigmas_type: 'one' }],
    ['use_exponential_sigmas', { use_exponential_sigmas: true }],
    ['use_lu_lambdas', { use_lu_lambdas: true }],
    ['thresholding', { thresholding: true }],
    ['variance_type', { variance_type: 'learned_range' }],
    ['use_karras_sigmas', { use_karras_sigmas: 'yes' }],
    ['beta_schedule', { beta_schedule: 'cubic' }],
  ];
  for (const [field, config] of rejected) {
    test(`rejects ${JSON.stringify(config)} with an InvalidArgumentError naming ${field}`, () => {
      assert.throws(
        () => createDPMSolverMultistepScheduler(config),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      );
    });
  }
});

describe('DPMSolverMultistepScheduler: step semantics', () => {
  const n = 8;
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const eps = Float32Array.from({ length: n }, (_, i) => Math.cos(0.7 * i));

  test('state carries the x0 history: step 0 returns lowerOrderNums 1 and its own x0 prediction', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(10);
    const out = s.step(eps, 0, x);
    assert.equal(out.state.lowerOrderNums, 1);
    assert.equal(out.state.modelOutputs.length, 1);
    assert.deepEqual(out.state.modelOutputs[0], out.denoised);
    const out2 = s.step(eps, 1, out.prevSample, { state: out.state });
    assert.equal(out2.state.lowerOrderNums, 2);
    assert.equal(out2.state.modelOutputs.length, 1, 'order 2 keeps one earlier output');
    assert.deepEqual(out2.state.modelOutputs[0], out2.denoised);
  });

  test('step is a pure function: same arguments, same result, in any call order', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(10);
    const first = s.step(eps, 0, x);
    const a = s.step(eps, 3, x, { state: first.state });
    s.step(eps, 7, x);
    const b = s.step(eps, 3, x, { state: first.state });
    assert.deepEqual(a.prevSample, b.prevSample);
  });

  test('with history the second-order update differs from the first-order (empty-state) update', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(10);
    const first = s.step(eps, 0, x);
    const withHistory = s.step(eps, 1, first.prevSample, { state: first.state });
    const withoutHistory = s.step(eps, 1, first.prevSample, { state: EMPTY_STATE });
    assert.notDeepEqual(withHistory.prevSample, withoutHistory.prevSample);
  });

  test('an exact denoiser (constant x0) is followed exactly to x0 (DPM-Solver++ is exact for constant x_theta)', () => {
    // x_t = alpha_t x0 + sigma_t eps, so eps = (x_t - alpha_t x0) / sigma_t; sampling must end on x0.
    const target = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.cos(i));
    for (const config of [{}, { solver_order: 3 }, { use_karras_sigmas: true, beta_schedule: 'scaled_linear' }]) {
      const s = createDPMSolverMultistepScheduler(config);
      const model = (xt: Float32Array, _t: number, i: number) => {
        const sig = s.sigmas[i];
        const alpha = 1 / Math.sqrt(sig * sig + 1);
        return xt.map((v, k) => (v - alpha * target[k]) / (sig * alpha));
      };
      const { sample } = runSampler(s, model, new Rng(3).normal(n), { steps: 12 });
      sample.forEach((v, k) =>
        assert.ok(Math.abs(v - target[k]) < 1e-5, `${JSON.stringify(config)} [${k}]: ${v} vs ${target[k]}`),
      );
    }
  });

  test('needs no noise source (deterministic solver)', () => {
    const s = createDPMSolverMultistepScheduler({});
    const run = () => runSampler(s, (v) => v.map((u) => 0.1 * u), Float32Array.from(x), { steps: 5 }).sample;
    assert.deepEqual(run(), run());
  });
});

describe('DPMSolverMultistepScheduler: bad input', () => {
  for (const steps of [0, -1, 2.5, Number.NaN, 1001]) {
    test(`setTimesteps(${steps}) throws InvalidArgumentError naming numInferenceSteps`, () => {
      const s = createDPMSolverMultistepScheduler({});
      assert.throws(
        () => s.setTimesteps(steps),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
      );
    });
  }

  test('"leading" spacing at so many steps that timesteps repeat (step ratio 0) throws InvalidArgumentError naming numInferenceSteps', () => {
    const s = createDPMSolverMultistepScheduler({ timestep_spacing: 'leading' });
    s.setTimesteps(999);
    assert.throws(
      () => s.setTimesteps(1000),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
    );
  });

  test('a steps_offset that pushes "leading" timesteps past the training range throws InvalidArgumentError naming steps_offset', () => {
    const s = createDPMSolverMultistepScheduler({ timestep_spacing: 'leading', steps_offset: 500 });
    assert.throws(
      () => s.setTimesteps(4),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'steps_offset',
    );
  });

  test('step before setTimesteps throws InvalidArgumentError naming stepIndex', () => {
    const s = createDPMSolverMultistepScheduler({});
    assert.throws(
      () => s.step(new Float32Array(2), 0, new Float32Array(2)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'stepIndex',
    );
  });

  test('a step index outside the grid throws InvalidArgumentError naming stepIndex', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(4);
    assert.throws(
      () => s.step(new Float32Array(2), 4, new Float32Array(2)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'stepIndex',
    );
  });

  test('NaN in the model output throws NumericalError', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(4);
    assert.throws(() => s.step(Float32Array.from([0, Number.NaN]), 0, new Float32Array(2)), NumericalError);
  });

  test('a model output of the wrong length throws InvalidArgumentError', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(4);
    assert.throws(
      () => s.step(new Float32Array(3), 0, new Float32Array(2)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'modelOutput.length',
    );
  });

  test('a state with more history than steps taken (stale state at step 0) throws InvalidArgumentError', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(4);
    const stale: SamplerState = { modelOutputs: [new Float32Array(2)], lowerOrderNums: 1 };
    assert.throws(
      () => s.step(new Float32Array(2), 0, new Float32Array(2), { state: stale }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'state.lowerOrderNums',
    );
  });

  test('a state claiming history it does not hold throws InvalidArgumentError', () => {
    const s = createDPMSolverMultistepScheduler({});
    s.setTimesteps(4);
    const broken: SamplerState = { modelOutputs: [], lowerOrderNums: 1 };
    assert.throws(
      () => s.step(new Float32Array(2), 1, new Float32Array(2), { state: broken }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'state.modelOutputs.length',
    );
  });
});
