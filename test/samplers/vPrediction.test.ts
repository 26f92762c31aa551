import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { NoiseSource } from '../../src/core/rng.js';
import { predictOriginalSample } from '../../src/samplers/common.js';
import { createScheduler } from '../../src/samplers/registry.js';
import { EMPTY_STATE, type SamplerState, type Scheduler, type SchedulerConfig } from '../../src/samplers/types.js';

/**
 * v-prediction (Salimans & Ho 2022, sec. 4; SD 2.x 768 px, `prediction_type: "v_prediction"`) in every
 * sampler path, derived independently of the samplers' code: with x_t = sqrt(abar) x0 + sqrt(1 - abar) eps,
 * a network that predicts v = sqrt(abar) eps - sqrt(1 - abar) x0 is the same network as one that predicts
 * eps, so (1) every sampler's x0 estimate from v is x0 (x0 = sqrt(abar) x_t - sqrt(1 - abar) v), and
 * (2) a whole sampling run driven by the v model follows the run driven by the eps model, step for step.
 * diffusers' own numbers for v-prediction are in the golden tests of each sampler (test/golden/*.json).
 */

const N = 12;
const X0 = Float32Array.from({ length: N }, (_, i) => 0.8 * Math.sin(1.7 * i + 0.3));
const EPS = Float32Array.from({ length: N }, (_, i) => Math.cos(0.9 * i) * 1.1);

/** Noise that does not depend on who draws it: draw k is sin(2.1 i + k). */
class SameNoise implements NoiseSource {
  k = 0;
  normal(n: number): Float32Array {
    const k = this.k++;
    return Float32Array.from({ length: n }, (_, i) => Math.sin(2.1 * i + k));
  }
}

/** abar of step i: from the training table at the step's timestep, or 1 / (1 + sigma^2) for sigma-grid samplers. */
function alphaBarAt(s: Scheduler, i: number): number {
  if (
    s.className === 'EulerDiscreteScheduler' ||
    s.className === 'EulerAncestralDiscreteScheduler' ||
    s.className === 'DPMSolverMultistepScheduler'
  ) {
    const sigma = s.sigmas[i];
    return 1 / (1 + sigma * sigma);
  }
  return s.alphasCumprod[s.timesteps[i]];
}

/** The model output a perfect x0 model gives in `kind` at a variance-preserving sample xt (eps implied by xt). */
function oracleOutput(kind: 'epsilon' | 'v_prediction', xt: Float32Array, a: number): Float32Array {
  const sa = Math.sqrt(a);
  const sb = Math.sqrt(1 - a);
  return xt.map((x, k) => {
    const eps = (x - sa * X0[k]) / sb;
    return kind === 'epsilon' ? eps : sa * eps - sb * X0[k];
  });
}

/** Runs `steps` steps with the oracle in `kind`; returns each step's prevSample and denoised. */
function run(
  config: SchedulerConfig,
  kind: 'epsilon' | 'v_prediction',
  steps: number,
): { prev: Float32Array[]; denoised: Float32Array[] } {
  const s = createScheduler({ ...config, prediction_type: kind });
  s.setTimesteps(steps);
  const noise = new SameNoise();
  // Start from x_T = sqrt(abar) x0 + sqrt(1 - abar) eps at the first step's noise level.
  const a0 = alphaBarAt(s, 0);
  // Euler samplers work on the variance-exploding scale x_VE = x_VP sqrt(1 + sigma^2) (their c_in undoes it).
  const veScale = s.className.startsWith('Euler') ? Math.sqrt(1 + s.sigmas[0] * s.sigmas[0]) : 1;
  let x: Float32Array = Float32Array.from(X0, (v, k) => (Math.sqrt(a0) * v + Math.sqrt(1 - a0) * EPS[k]) * veScale);
  let state: SamplerState = EMPTY_STATE;
  const prev: Float32Array[] = [];
  const denoised: Float32Array[] = [];
  for (let i = 0; i < s.timesteps.length; i++) {
    const modelIn = s.scaleModelInput(x, i);
    const out = s.step(oracleOutput(kind, modelIn, alphaBarAt(s, i)), i, x, { state, noise });
    prev.push(out.prevSample);
    denoised.push(out.denoised);
    x = out.prevSample;
    state = out.state;
  }
  return { prev, denoised };
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, tol: number, what: string): void {
  for (let k = 0; k < expected.length; k++) {
    assert.ok(
      Math.abs(actual[k] - expected[k]) <= tol * Math.max(1, Math.abs(expected[k])),
      `${what}[${k}]: ${actual[k]} vs ${expected[k]}`,
    );
  }
}

const SD_BETAS = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };
const PATHS: [string, SchedulerConfig][] = [
  [
    'DDIM (SD 2.1 768 config)',
    { _class_name: 'DDIMScheduler', ...SD_BETAS, clip_sample: false, set_alpha_to_one: false, steps_offset: 1 },
  ],
  [
    'DDPM',
    { _class_name: 'DDPMScheduler', ...SD_BETAS, clip_sample: false, timestep_spacing: 'leading', steps_offset: 1 },
  ],
  ['Euler', { _class_name: 'EulerDiscreteScheduler', ...SD_BETAS, timestep_spacing: 'trailing' }],
  ['Euler ancestral', { _class_name: 'EulerAncestralDiscreteScheduler', ...SD_BETAS, timestep_spacing: 'trailing' }],
  ['DPM-Solver++ 2M', { _class_name: 'DPMSolverMultistepScheduler', ...SD_BETAS }],
  [
    'DPM-Solver++ 3M (Karras sigmas)',
    { _class_name: 'DPMSolverMultistepScheduler', ...SD_BETAS, solver_order: 3, use_karras_sigmas: true },
  ],
  ['LCM', { _class_name: 'LCMScheduler', ...SD_BETAS }],
];

describe('v-prediction: x0 = sqrt(abar) x_t - sqrt(1 - abar) v', () => {
  test('hand-computed: abar 0.25, x_t 2, v 1 -> x0 = 0.5 * 2 - sqrt(0.75) = 0.1339746', () => {
    const { predOriginalSample, predEpsilon } = predictOriginalSample(
      'v_prediction',
      Float32Array.of(1),
      Float32Array.of(2),
      0.25,
    );
    assert.ok(Math.abs(predOriginalSample[0] - (1 - Math.sqrt(0.75))) < 1e-6);
    // eps = sqrt(abar) v + sqrt(1 - abar) x_t = 0.5 + sqrt(0.75) * 2
    assert.ok(Math.abs(predEpsilon[0] - (0.5 + 2 * Math.sqrt(0.75))) < 1e-6);
  });

  for (const [name, config] of PATHS) {
    test(`${name}: every step's x0 estimate from v is the true x0, and the run follows the epsilon run`, () => {
      const steps = 4;
      const v = run(config, 'v_prediction', steps);
      const eps = run(config, 'epsilon', steps);
      for (let i = 0; i < v.prev.length; i++) {
        assertClose(v.prev[i], eps.prev[i], 2e-4, `${name} step ${i} prevSample`);
        assertClose(v.denoised[i], eps.denoised[i], 2e-4, `${name} step ${i} denoised`);
      }
      // The oracle predicts x0 exactly, so the pre-boundary x0 estimates are X0; LCM's denoised is
      // c_skip x + c_out x0, which tends to x0 at the last (smallest) timestep only.
      if (name !== 'LCM')
        for (let i = 0; i < v.denoised.length; i++) assertClose(v.denoised[i], X0, 2e-4, `${name} step ${i} x0`);
    });
  }
});
