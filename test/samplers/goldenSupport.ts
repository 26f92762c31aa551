// Shared by the scheduler golden tests: loads test/golden/diffusers_*.json (written by
// test/golden/make_golden.py from diffusers itself) and rebuilds its deterministic inputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NoiseSource } from '../../src/core/rng.js';
import { createDDIMScheduler } from '../../src/samplers/ddim.js';
import { createDDPMScheduler } from '../../src/samplers/ddpm.js';
import { createEulerDiscreteScheduler } from '../../src/samplers/euler.js';
import { createEulerAncestralDiscreteScheduler } from '../../src/samplers/eulerAncestral.js';
import type { Scheduler, SchedulerConfig } from '../../src/samplers/types.js';

/** Float32 agreement with diffusers: |a - e| <= RTOL |e| + ATOL. */
export const RTOL = 1e-5;
export const ATOL = 1e-6;
export const N = 16;

const GOLDEN_DIR = join(__dirname, '..', '..', '..', 'test', 'golden');

export function loadGolden<T>(name: string): T[] {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, name), 'utf8')).cases as T[];
}

export const FACTORIES: Record<string, (c: SchedulerConfig) => Scheduler> = {
  DDPMScheduler: createDDPMScheduler,
  DDIMScheduler: createDDIMScheduler,
  EulerDiscreteScheduler: createEulerDiscreteScheduler,
  EulerAncestralDiscreteScheduler: createEulerAncestralDiscreteScheduler,
};

/** x[i] = sin(i), eps[i] = cos(0.7 i), as make_golden.py builds them (float64, then float32). */
export const X = Float32Array.from({ length: N }, (_, i) => Math.sin(i));
export const EPS = Float32Array.from({ length: N }, (_, i) => Math.cos(0.7 * i));

/** The k-th draw is n_k[i] = sin(1.3 i + 0.5 + k): make_golden.py patches diffusers' randn_tensor with the same. */
export class FixedNoise implements NoiseSource {
  calls = 0;
  normal(n: number): Float32Array {
    const k = this.calls++;
    return Float32Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.5 + k));
  }
}

/** make_golden.py's fake model: 0.1 * scaled input + cos(0.01 t), float64 then float32. */
export function fakeModel(scaled: Float32Array, t: number): Float32Array {
  const c = Math.cos(0.01 * t);
  return Float32Array.from(scaled, (v) => 0.1 * v + c);
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  rtol = RTOL,
  atol = ATOL,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Math.abs(a - e) <= rtol * Math.abs(e) + atol;
    if (!ok)
      assert.fail(
        `${label}[${i}]: got ${a}, diffusers ${e} (|diff| ${Math.abs(a - e)}, allowed ${rtol * Math.abs(e) + atol})`,
      );
  }
}

/** The config a golden case used, plus `eta` (a step argument in diffusers, a config key here). */
export function configOf(c: { config: SchedulerConfig; eta?: number | null }): SchedulerConfig {
  return c.eta == null ? { ...c.config } : { ...c.config, eta: c.eta };
}

export interface StepCase {
  class: string;
  config: SchedulerConfig;
  eta: number | null;
  steps: number;
  step_index: number;
  timestep: number;
  noise_draws: number;
  scaled_input: number[];
  prev_sample: number[];
  denoised: number[];
}

export interface LoopCase {
  class: string;
  config: SchedulerConfig;
  eta: number | null;
  steps: number;
  noise_draws: number;
  timesteps: number[];
  trace_first4: number[][];
  final_sample: number[];
  final_denoised: number[];
}

export function describeCase(c: {
  class: string;
  config: SchedulerConfig;
  eta?: number | null;
  steps: number;
  step_index?: number;
}): string {
  const eta = c.eta == null ? '' : ` eta=${c.eta}`;
  const idx = c.step_index === undefined ? '' : ` step ${c.step_index}`;
  return `${c.class} ${JSON.stringify(c.config)}${eta} ${c.steps} steps${idx}`;
}

/** Runs one golden step case through our scheduler and compares everything diffusers reported. */
export function checkStepCase(c: StepCase): void {
  const label = describeCase(c);
  const s = FACTORIES[c.class](configOf(c));
  s.setTimesteps(c.steps);
  assert.equal(s.timesteps[c.step_index], c.timestep, `${label}: timestep`);
  assertClose(s.scaleModelInput(X, c.step_index), c.scaled_input, `${label}: scaled input`);
  const noise = new FixedNoise();
  const out = s.step(EPS, c.step_index, X, { noise });
  assertClose(out.denoised, c.denoised, `${label}: denoised`);
  assertClose(out.prevSample, c.prev_sample, `${label}: prev sample`);
  assert.equal(noise.calls, c.noise_draws, `${label}: noise draws`);
}

/** Runs a golden multi-step loop (runSampler-style, fake model) and compares the trajectory. */
export function checkLoopCase(
  c: LoopCase,
  run: (s: Scheduler, noise: FixedNoise) => { trace: Float32Array[]; sample: Float32Array; denoised: Float32Array },
): void {
  const label = describeCase(c);
  const s = FACTORIES[c.class](configOf(c));
  const noise = new FixedNoise();
  const { trace, sample, denoised } = run(s, noise);
  assertClose(s.timesteps, c.timesteps, `${label}: timesteps`); // exact for integer grids; Karras' fractional ones agree to float32
  trace.forEach((x, i) => assertClose(x.subarray(0, 4), c.trace_first4[i], `${label}: after step ${i}`));
  assertClose(sample, c.final_sample, `${label}: final sample`);
  assertClose(denoised, c.final_denoised, `${label}: final denoised`);
  assert.equal(noise.calls, c.noise_draws, `${label}: noise draws`);
}

/**
 * Tensor-scale tolerance for the multistep golden loops: |a - e| <= RTOL * max(1, max |e|), since the
 * float32 rounding of these solvers scales with the whole tensor, not each element.
 */
export function assertCloseToScale(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(
      err <= RTOL * scale,
      `${what}[${i}]: ${actual[i]} vs diffusers ${expected[i]} (error ${err}, scale ${scale})`,
    );
  }
}

/** Hands out the golden noise arrays in order, as the patched randn_tensor did; checks each draw's size. */
export class ArrayNoise implements NoiseSource {
  draws = 0;
  constructor(private readonly arrays: number[][]) {}
  normal(n: number): Float32Array {
    const a = this.arrays[this.draws++];
    assert.equal(a.length, n);
    return Float32Array.from(a);
  }
}
