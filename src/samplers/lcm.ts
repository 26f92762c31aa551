import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { trainingScheduleFromConfig } from '../schedules/trainingSchedule.js';
import {
  checkNumSteps,
  checkPredictionType,
  checkStepArgs,
  checkStepIndex,
  checkTensor,
  predictOriginalSample,
  resolveConfig,
  type PredictionType,
} from './common.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig, type StepOptions, type StepOutput } from './types.js';

/** diffusers' LCMScheduler defaults (the keys this implementation reads). */
export const LCM_DEFAULTS = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  trained_betas: null as number[] | null,
  original_inference_steps: 50,
  clip_sample: false,
  clip_sample_range: 1.0,
  set_alpha_to_one: true,
  steps_offset: 0,
  prediction_type: 'epsilon',
  thresholding: false,
  timestep_spacing: 'leading',
  timestep_scaling: 10.0,
  rescale_betas_zero_snr: false,
});

/** sigma_data of the LCM boundary condition (Luo et al. 2023 use the consistency-model value 0.5). */
export const LCM_SIGMA_DATA = 0.5;

/**
 * Latent Consistency Model multistep sampling (Luo et al. 2023, Alg. 1), as diffusers' LCMScheduler:
 * timesteps are taken from the `original_inference_steps`-point distillation grid, each step applies the
 * boundary condition c_skip x + c_out x0 (eq. 9) and re-noises to the next timestep with `options.noise`.
 * `timestep_spacing` and `steps_offset` are read by diffusers' config but unused by its timestep rule; the same here.
 */
export function createLCMScheduler(config: SchedulerConfig = {}): Scheduler {
  return new LCMScheduler(config);
}

/**
 * LCM boundary-condition scalings for a discrete timestep t (Luo et al. 2023, eq. 9 with the consistency-model
 * form of Song et al. 2023, App. C): with s = t * timestep_scaling,
 * c_skip = sigma_data^2 / (s^2 + sigma_data^2), c_out = s / sqrt(s^2 + sigma_data^2).
 */
export function lcmBoundaryScalings(timestep: number, timestepScaling = 10): { cSkip: number; cOut: number } {
  const s = timestep * timestepScaling;
  const sd2 = LCM_SIGMA_DATA * LCM_SIGMA_DATA;
  return { cSkip: sd2 / (s * s + sd2), cOut: s / Math.sqrt(s * s + sd2) };
}

/**
 * LCM inference timesteps (diffusers' rule): the distillation grid t_j = j*k - 1, j = 1..original_steps,
 * k = floor(N / original_steps), read from the top at indices floor(i * original_steps / steps).
 * 4 steps of a 50-point grid over 1000 training steps give [999, 759, 499, 259].
 */
export function lcmTimesteps(
  numInferenceSteps: number,
  originalInferenceSteps: number,
  numTrainTimesteps: number,
): number[] {
  const N = requireInteger('num_train_timesteps', numTrainTimesteps, 1);
  const original = requireInteger('original_inference_steps', originalInferenceSteps, 1, N);
  const n = checkNumSteps(numInferenceSteps, N);
  if (n > original) {
    throw new InvalidArgumentError(
      'numInferenceSteps',
      n,
      `expected an integer in [1, ${original}]: LCM timesteps are a subset of the original_inference_steps = ${original} distillation grid`,
    );
  }
  const k = Math.floor(N / original);
  const grid: number[] = [];
  for (let j = original; j >= 1; j--) grid.push(j * k - 1);
  const step = original / n; // numpy.linspace(0, original, n, endpoint=False)
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(grid[Math.floor(i * step)]);
  return out;
}

class LCMScheduler implements Scheduler {
  readonly className = 'LCMScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  readonly initNoiseSigma = 1;
  readonly sigmas = new Float64Array(0);
  numInferenceSteps = 0;
  timesteps: number[] = [];

  private readonly predictionType: PredictionType;
  private readonly originalInferenceSteps: number;
  private readonly timestepScaling: number;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;

  constructor(userConfig: SchedulerConfig) {
    const cfg = resolveConfig(LCM_DEFAULTS, userConfig);
    if (cfg.thresholding !== false && cfg.thresholding !== undefined && cfg.thresholding !== null) {
      throw new InvalidArgumentError(
        'thresholding',
        cfg.thresholding,
        'expected false: dynamic thresholding is not implemented here',
      );
    }
    this.predictionType = checkPredictionType(cfg.prediction_type);
    const schedule = trainingScheduleFromConfig(cfg);
    this.alphasCumprod = schedule.alphasCumprod;
    this.numTrainTimesteps = schedule.numTrainTimesteps;
    this.originalInferenceSteps = requireInteger(
      'original_inference_steps',
      cfg.original_inference_steps,
      1,
      this.numTrainTimesteps,
    );
    this.timestepScaling = requireFinite('timestep_scaling', cfg.timestep_scaling, 0);
    if (typeof cfg.clip_sample !== 'boolean')
      throw new InvalidArgumentError('clip_sample', cfg.clip_sample, 'expected true or false');
    this.clipSample = cfg.clip_sample;
    this.clipSampleRange = requireFinite('clip_sample_range', cfg.clip_sample_range, 0);
    this.config = Object.freeze({ ...cfg });
  }

  setTimesteps(numInferenceSteps: number): void {
    this.timesteps = lcmTimesteps(numInferenceSteps, this.originalInferenceSteps, this.numTrainTimesteps);
    this.numInferenceSteps = this.timesteps.length;
  }

  /** LCM feeds the sample to the model unscaled. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    return sample;
  }

  /**
   * One step of multistep latent consistency sampling (Luo et al. 2023, Alg. 1): x0 from the model output,
   * denoised = c_skip(t) x_t + c_out(t) x0 (eq. 9), then x_{t'} = sqrt(abar_{t'}) denoised + sqrt(1 - abar_{t'}) z
   * for the next timestep t'; the last step returns denoised.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.numInferenceSteps);
    const n = this.timesteps.length;
    const t = this.timesteps[i];
    const isLast = i === n - 1;
    const alphaProdT = this.alphasCumprod[t];
    const alphaProdTPrev = this.alphasCumprod[isLast ? t : this.timesteps[i + 1]];
    const { cSkip, cOut } = lcmBoundaryScalings(t, this.timestepScaling);

    const { predOriginalSample } = predictOriginalSample(this.predictionType, modelOutput, sample, alphaProdT);
    const lim = this.clipSampleRange;
    const denoised = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const x0 = this.clipSample ? Math.min(lim, Math.max(-lim, predOriginalSample[k])) : predOriginalSample[k];
      denoised[k] = cOut * x0 + cSkip * sample[k];
    }
    const state = options.state ?? EMPTY_STATE;
    if (isLast) return { prevSample: denoised, denoised, state };

    if (!options.noise) {
      throw new InvalidArgumentError(
        'noise',
        options.noise,
        'LCMScheduler re-noises between steps (Luo et al. 2023, Alg. 1): pass options.noise (a NoiseSource, e.g. new Rng(seed))',
      );
    }
    const z = options.noise.normal(sample.length);
    checkTensor('noise', z, sample.length);
    const a = Math.sqrt(alphaProdTPrev);
    const b = Math.sqrt(1 - alphaProdTPrev);
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) prevSample[k] = a * denoised[k] + b * z[k];
    return { prevSample, denoised, state };
  }
}
