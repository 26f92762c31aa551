import { InvalidArgumentError, requireFinite, requireInteger, requireOneOf } from '../core/errors.js';
import {
  checkKarrasRange,
  interpolateSigmas,
  karrasSigmas,
  sigmaToTimestep,
  vpSigmaTable,
} from '../schedules/sigmas.js';
import { checkTimestepsInRange, spacedTimesteps } from '../schedules/timesteps.js';
import { configFlag, trainingScheduleFromConfig } from '../schedules/trainingSchedule.js';
import {
  checkNumSteps,
  checkPredictionType,
  checkSpacing,
  checkStepArgs,
  checkStepIndex,
  resolveConfig,
  type PredictionType,
  type TimestepSpacing,
} from './common.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig, type StepOptions, type StepOutput } from './types.js';

/** diffusers' EulerDiscreteScheduler defaults. */
export const EULER_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  interpolation_type: 'linear',
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  timestep_spacing: 'linspace',
  timestep_type: 'discrete',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
  final_sigmas_type: 'zero',
};

/** Euler's method on the probability-flow ODE (Karras et al. 2022, Alg. 1 / Alg. 2 without churn), as diffusers' EulerDiscreteScheduler. */
export function createEulerDiscreteScheduler(config: SchedulerConfig = {}): Scheduler {
  return new EulerSampler(config);
}

/** The sampling grid of diffusers' Euler schedulers: timesteps (float32, maybe fractional) and sigmas (steps + 1, float32). */
export interface SigmaGrid {
  timesteps: number[];
  sigmas: Float64Array;
  initNoiseSigma: number;
}

/** Options of `eulerSigmaGrid` beyond the spacing. */
export interface SigmaGridOptions {
  stepsOffset: number;
  useKarrasSigmas: boolean;
  sigmaMin: number | null;
  sigmaMax: number | null;
  finalSigmasType: 'zero' | 'sigma_min';
}

/**
 * Builds the Euler grid: spaced timesteps, sigma interpolated in t over the training table (or the
 * Karras et al. 2022 eq. 5 ramp with timesteps mapped back by log-sigma), then the final sigma.
 * init noise sigma: sigma_max for linspace/trailing, sqrt(sigma_max^2 + 1) for leading (as diffusers).
 */
export function eulerSigmaGrid(
  alphasCumprod: Float64Array,
  spacing: TimestepSpacing,
  numInferenceSteps: number,
  opts: SigmaGridOptions,
): SigmaGrid {
  const f = Math.fround;
  const n = numInferenceSteps;
  let timesteps = spacedTimesteps(spacing, alphasCumprod.length, n, { stepsOffset: opts.stepsOffset, integer: false });
  checkTimestepsInRange(timesteps, alphasCumprod.length, opts.stepsOffset);
  const table = vpSigmaTable(alphasCumprod);
  let sigmas = interpolateSigmas(timesteps, table);
  if (opts.useKarrasSigmas) {
    const sigmaMin = opts.sigmaMin ?? sigmas[n - 1];
    const sigmaMax = opts.sigmaMax ?? sigmas[0];
    sigmas = karrasSigmas(sigmaMin, sigmaMax, n);
    const logSigmas = table.map((s) => f(Math.log(s)));
    timesteps = Array.from(sigmas, (s) => f(sigmaToTimestep(s, logSigmas)));
  }
  const out = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) out[i] = f(sigmas[i]);
  out[n] = opts.finalSigmasType === 'sigma_min' ? table[0] : 0;
  let maxSigma = 0;
  for (const s of out) maxSigma = Math.max(maxSigma, s);
  const initNoiseSigma = spacing === 'leading' ? f(Math.sqrt(f(f(maxSigma * maxSigma) + 1))) : maxSigma;
  return { timesteps, sigmas: out, initNoiseSigma };
}

/** Reads the keys shared by the two Euler classes; returns the training schedule with diffusers' zero-SNR patch. */
export function eulerScheduleFromConfig(cfg: Readonly<Record<string, unknown>>): {
  numTrainTimesteps: number;
  alphasCumprod: Float64Array;
} {
  const schedule = trainingScheduleFromConfig(cfg);
  const alphasCumprod = schedule.alphasCumprod.slice();
  // diffusers: with zero terminal SNR, alphaBar_T = 0 would make sigma infinite; it uses 2^-24 instead.
  if (configFlag(cfg, 'rescale_betas_zero_snr')) alphasCumprod[alphasCumprod.length - 1] = 2 ** -24;
  return { numTrainTimesteps: schedule.numTrainTimesteps, alphasCumprod };
}

/**
 * What the two Euler classes share: the VE sigma grid interpolated from the training schedule,
 * c_in input scaling, and the grid state set by setTimesteps. Subclasses implement `step`.
 */
export abstract class SigmaGridScheduler implements Scheduler {
  abstract readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  protected readonly predictionType: PredictionType;
  private readonly spacing: TimestepSpacing;
  private readonly gridOptions: SigmaGridOptions;
  protected steps = 0;
  protected grid: SigmaGrid;

  protected constructor(
    cfg: Readonly<Record<string, unknown>>,
    gridOptions: SigmaGridOptions,
    publicConfig: Readonly<Record<string, unknown>> = cfg,
  ) {
    const schedule = eulerScheduleFromConfig(cfg);
    this.numTrainTimesteps = schedule.numTrainTimesteps;
    this.alphasCumprod = schedule.alphasCumprod;
    this.predictionType = checkPredictionType(cfg.prediction_type);
    this.spacing = checkSpacing(cfg.timestep_spacing);
    this.gridOptions = gridOptions;
    this.config = Object.freeze({ ...publicConfig });
    this.grid = initialGrid(this.alphasCumprod, this.spacing);
  }

  get numInferenceSteps(): number {
    return this.steps;
  }

  get timesteps(): number[] {
    return this.steps === 0 ? [] : this.grid.timesteps.slice();
  }

  get sigmas(): Float64Array {
    return this.steps === 0 ? new Float64Array(0) : this.grid.sigmas.slice();
  }

  get initNoiseSigma(): number {
    return this.grid.initNoiseSigma;
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = checkNumSteps(numInferenceSteps, this.numTrainTimesteps);
    this.grid = eulerSigmaGrid(this.alphasCumprod, this.spacing, n, this.gridOptions);
    this.steps = n;
  }

  /** x / sqrt(sigma^2 + 1): the model sees unit-variance input (Karras et al. 2022, Table 1, c_in). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    const i = checkStepIndex(stepIndex, this.steps);
    const sigma = this.grid.sigmas[i];
    const cIn = Math.fround(Math.sqrt(Math.fround(Math.fround(sigma * sigma) + 1)));
    return sample.map((v) => v / cIn);
  }

  abstract step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options?: StepOptions): StepOutput;
}

class EulerSampler extends SigmaGridScheduler {
  readonly className = 'EulerDiscreteScheduler';

  constructor(config: SchedulerConfig) {
    const raw = resolveConfig(EULER_DEFAULTS, config);
    // diffusers accepts "original_sample" as another name for "sample".
    const cfg = raw.prediction_type === 'original_sample' ? { ...raw, prediction_type: 'sample' } : raw;
    requireOneOf('interpolation_type', cfg.interpolation_type, ['linear'] as const);
    requireOneOf('timestep_type', cfg.timestep_type, ['discrete'] as const);
    for (const key of ['use_exponential_sigmas', 'use_beta_sigmas']) {
      if (configFlag(cfg, key))
        throw new InvalidArgumentError(
          key,
          true,
          'not implemented; use use_karras_sigmas or the default interpolated sigmas',
        );
    }
    const gridOptions: SigmaGridOptions = {
      stepsOffset: requireInteger('steps_offset', cfg.steps_offset, 0),
      useKarrasSigmas: configFlag(cfg, 'use_karras_sigmas'),
      sigmaMin: cfg.sigma_min == null ? null : requireFinite('sigma_min', cfg.sigma_min, 0),
      sigmaMax: cfg.sigma_max == null ? null : requireFinite('sigma_max', cfg.sigma_max, 0),
      finalSigmasType: requireOneOf('final_sigmas_type', cfg.final_sigmas_type, ['zero', 'sigma_min'] as const),
    };
    if (gridOptions.sigmaMin !== null && gridOptions.sigmaMax !== null)
      checkKarrasRange(gridOptions.sigmaMin, gridOptions.sigmaMax);
    super(cfg, gridOptions, raw);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.steps);
    const sigma = this.grid.sigmas[i];
    const sigmaHat = sigma; // no churn: gamma = 0
    const sigmaNext = this.grid.sigmas[i + 1];
    const denoised = denoisedFromSigma(this.predictionType, modelOutput, sample, sigma);
    const dt = sigmaNext - sigmaHat;
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      /** x_{i+1} = x_i + (sigma_{i+1} - sigma_i) d_i, d_i = (x_i - D(x_i)) / sigma_i  (Karras et al. 2022, Alg. 1 / eq. 3). */
      const derivative = (sample[k] - denoised[k]) / sigmaHat;
      prevSample[k] = sample[k] + derivative * dt;
    }
    return { prevSample, denoised, state: options.state ?? EMPTY_STATE };
  }
}

/**
 * D(x; sigma) from the model output in the variance-exploding parametrisation x = x0 + sigma eps:
 * epsilon: x - sigma eps; v_prediction: -sigma/sqrt(sigma^2+1) v + x/(sigma^2+1)  (Salimans & Ho 2022
 * with x scaled by sqrt(abar)); sample: the output itself.
 */
export function denoisedFromSigma(
  predictionType: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
): Float32Array {
  const out = new Float32Array(sample.length);
  const s2p1 = sigma * sigma + 1;
  const vScale = -sigma / Math.sqrt(s2p1);
  for (let k = 0; k < sample.length; k++) {
    if (predictionType === 'epsilon') out[k] = sample[k] - sigma * modelOutput[k];
    else if (predictionType === 'v_prediction') out[k] = modelOutput[k] * vScale + sample[k] / s2p1;
    else out[k] = modelOutput[k];
  }
  return out;
}

/** Before setTimesteps, diffusers' sigmas are the whole training table (its init noise sigma is read from it). */
export function initialGrid(alphasCumprod: Float64Array, spacing: TimestepSpacing): SigmaGrid {
  const table = vpSigmaTable(alphasCumprod);
  let maxSigma = 0;
  for (const s of table) maxSigma = Math.max(maxSigma, s);
  const f = Math.fround;
  const initNoiseSigma = spacing === 'leading' ? f(Math.sqrt(f(f(maxSigma * maxSigma) + 1))) : maxSigma;
  return { timesteps: [], sigmas: new Float64Array(0), initNoiseSigma };
}
