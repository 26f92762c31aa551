import { InvalidArgumentError, NumericalError, requireInteger, requireOneOf } from '../core/errors.js';
import type { NoiseSource } from '../core/rng.js';
import type { SchedulerConfig } from './types.js';

export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];
export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/**
 * Merges a parsed scheduler_config.json over a class's diffusers defaults. `_class_name`,
 * `_diffusers_version` and keys the class does not know are kept but unused, as in diffusers.
 */
export function resolveConfig<D extends Record<string, unknown>>(
  defaults: D,
  config: SchedulerConfig,
): D & Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new InvalidArgumentError('config', config, 'expected a parsed scheduler_config.json object');
  }
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = v;
  return out as D & Record<string, unknown>;
}

export function checkPredictionType(value: unknown): PredictionType {
  return requireOneOf('prediction_type', value, PREDICTION_TYPES);
}

export function checkSpacing(value: unknown): TimestepSpacing {
  return requireOneOf('timestep_spacing', value, TIMESTEP_SPACINGS);
}

/** Validates num_inference_steps: an integer in [1, max]. `maxName` says where the bound comes from. */
export function checkNumSteps(value: unknown, max: number, maxName = 'num_train_timesteps'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      'numInferenceSteps',
      value,
      `expected an integer in [1, ${max}] (${maxName} = ${max})`,
    );
  }
  return value;
}

/** Validates a step index against the grid set by setTimesteps. */
export function checkStepIndex(stepIndex: unknown, numSteps: number): number {
  if (numSteps === 0) {
    throw new InvalidArgumentError('stepIndex', stepIndex, 'call setTimesteps(numInferenceSteps) before step()');
  }
  return requireInteger('stepIndex', stepIndex, 0, numSteps - 1);
}

/** Validates a step's arguments (index on the grid, finite sample, finite model output of the same length); returns the index. */
export function checkStepArgs(
  modelOutput: Float32Array,
  stepIndex: number,
  sample: Float32Array,
  numSteps: number,
): number {
  const i = checkStepIndex(stepIndex, numSteps);
  checkTensor('sample', sample);
  checkTensor('modelOutput', modelOutput, sample.length);
  return i;
}

/** Throws a NumericalError naming the argument if the model output (or sample) holds NaN or Inf. */
export function checkTensor(field: string, data: Float32Array, expectedLength?: number): void {
  if (!(data instanceof Float32Array)) {
    throw new InvalidArgumentError(field, typeof data, 'expected a Float32Array');
  }
  if (expectedLength !== undefined && data.length !== expectedLength) {
    throw new InvalidArgumentError(`${field}.length`, data.length, `expected ${expectedLength} (the sample's length)`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new NumericalError(
        field,
        `element ${i} is ${data[i]}; a model output with NaN or Inf cannot be stepped (try fp32 if the model runs in fp16)`,
      );
    }
  }
}

/**
 * x_0 from the model output, for a variance-preserving sample x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps.
 * epsilon: x0 = (x_t - sqrt(1-abar) eps) / sqrt(abar)   (DDPM, Ho et al. 2020, eq. 15)
 * v_prediction: x0 = sqrt(abar) x_t - sqrt(1-abar) v   (Salimans & Ho 2022, sec. 4)
 * sample: x0 = model output.
 * Also returns the matching epsilon, which DDIM needs.
 */
export function predictOriginalSample(
  predictionType: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaProdT: number,
): { predOriginalSample: Float32Array; predEpsilon: Float32Array } {
  const n = sample.length;
  const predOriginalSample = new Float32Array(n);
  const predEpsilon = new Float32Array(n);
  const sqrtA = Math.sqrt(alphaProdT);
  const sqrtB = Math.sqrt(1 - alphaProdT);
  for (let i = 0; i < n; i++) {
    const x = sample[i];
    const m = modelOutput[i];
    if (predictionType === 'epsilon') {
      predOriginalSample[i] = (x - sqrtB * m) / sqrtA;
      predEpsilon[i] = m;
    } else if (predictionType === 'v_prediction') {
      predOriginalSample[i] = sqrtA * x - sqrtB * m;
      predEpsilon[i] = sqrtA * m + sqrtB * x;
    } else {
      predOriginalSample[i] = m;
      predEpsilon[i] = (x - sqrtA * m) / sqrtB;
    }
  }
  return { predOriginalSample, predEpsilon };
}

/**
 * One draw of `n` standard normals from the caller's noise source, for the stochastic samplers
 * (DDPM, DDIM with eta > 0, Euler ancestral). Throws InvalidArgumentError naming `noise` if absent.
 */
export function drawNoise(source: NoiseSource | undefined, n: number, who: string): Float32Array {
  if (!source || typeof source.normal !== 'function') {
    throw new InvalidArgumentError(
      'noise',
      source,
      `${who} adds fresh noise each step: pass options.noise (e.g. new Rng(seed))`,
    );
  }
  const z = source.normal(n);
  checkTensor('noise', z, n);
  return z;
}
