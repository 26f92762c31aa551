import { InvalidArgumentError } from '../core/errors.js';
import type { NoiseSource } from '../core/rng.js';
import { EMPTY_STATE, type Scheduler, type SamplerState } from './types.js';

/** The model as a sampler sees it: scaled sample and timestep in, model output (of the scheduler's prediction type) out. */
export type ModelFn = (scaledSample: Float32Array, timestep: number, stepIndex: number) => Float32Array;
export type AsyncModelFn = (
  scaledSample: Float32Array,
  timestep: number,
  stepIndex: number,
) => Float32Array | Promise<Float32Array>;

/** What the per-step callback receives (k-diffusion's {x, i, sigma, denoised}). */
export interface StepInfo {
  step: number;
  timestep: number;
  /** sigma of this step for sigma-based samplers, else the VP-equivalent sqrt((1 - abar) / abar). */
  sigma: number;
  /** The sample after this step. */
  sample: Float32Array;
  denoised: Float32Array;
}

export interface SampleOptions {
  /** Number of sampler steps (setTimesteps is called with it). */
  steps: number;
  /** Noise for stochastic samplers; required by DDPM, Euler ancestral, LCM, CM and DDIM with eta > 0. */
  noise?: NoiseSource;
  callback?: (info: StepInfo) => void;
}

export interface SampleResult {
  sample: Float32Array;
  denoised: Float32Array;
}

/**
 * Runs a scheduler from start to end. `initialNoise` is unit-variance noise; it is multiplied by
 * the scheduler's initNoiseSigma here, as diffusers' pipelines do.
 */
export function runSampler(
  scheduler: Scheduler,
  model: ModelFn,
  initialNoise: Float32Array,
  options: SampleOptions,
): SampleResult {
  let { sample, state } = begin(scheduler, initialNoise, options);
  let denoised = sample;
  for (let i = 0; i < scheduler.timesteps.length; i++) {
    const t = scheduler.timesteps[i];
    const out = scheduler.step(model(scheduler.scaleModelInput(sample, i), t, i), i, sample, {
      state,
      noise: options.noise,
    });
    ({ sample, denoised } = finishStep(scheduler, out, i, options));
    state = out.state;
  }
  return { sample, denoised };
}

/** runSampler for a model that answers asynchronously (ONNX Runtime sessions). */
export async function runSamplerAsync(
  scheduler: Scheduler,
  model: AsyncModelFn,
  initialNoise: Float32Array,
  options: SampleOptions,
): Promise<SampleResult> {
  let { sample, state } = begin(scheduler, initialNoise, options);
  let denoised = sample;
  for (let i = 0; i < scheduler.timesteps.length; i++) {
    const t = scheduler.timesteps[i];
    const modelOutput = await model(scheduler.scaleModelInput(sample, i), t, i);
    const out = scheduler.step(modelOutput, i, sample, { state, noise: options.noise });
    ({ sample, denoised } = finishStep(scheduler, out, i, options));
    state = out.state;
  }
  return { sample, denoised };
}

function begin(
  scheduler: Scheduler,
  initialNoise: Float32Array,
  options: SampleOptions,
): { sample: Float32Array; state: SamplerState } {
  if (!(initialNoise instanceof Float32Array))
    throw new InvalidArgumentError('initialNoise', typeof initialNoise, 'expected a Float32Array');
  scheduler.setTimesteps(options.steps);
  const s = scheduler.initNoiseSigma;
  const sample = s === 1 ? initialNoise.slice() : initialNoise.map((v) => v * s);
  return { sample, state: EMPTY_STATE };
}

function finishStep(
  scheduler: Scheduler,
  out: { prevSample: Float32Array; denoised: Float32Array },
  i: number,
  options: SampleOptions,
): SampleResult {
  if (options.callback) {
    const t = scheduler.timesteps[i];
    const sigma = scheduler.sigmas.length > i ? scheduler.sigmas[i] : vpSigma(scheduler, t);
    options.callback({ step: i, timestep: t, sigma, sample: out.prevSample, denoised: out.denoised });
  }
  return { sample: out.prevSample, denoised: out.denoised };
}

function vpSigma(scheduler: Scheduler, t: number): number {
  const a = scheduler.alphasCumprod[Math.min(scheduler.alphasCumprod.length - 1, Math.max(0, Math.round(t)))];
  return Math.sqrt((1 - a) / a);
}
