import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { checkTimestepsInRange, spacedTimesteps } from '../schedules/timesteps.js';
import { configFlag, trainingScheduleFromConfig } from '../schedules/trainingSchedule.js';
import { checkNumSteps, checkPredictionType, checkSpacing, checkStepIndex, checkTensor, predictOriginalSample, resolveConfig, type PredictionType, type TimestepSpacing } from './common.js';
import { drawNoise } from './ddpm.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig, type StepOptions, type StepOutput } from './types.js';

/**
 * diffusers' DDIMScheduler defaults. `eta` is not a diffusers config key (diffusers passes it to
 * `step`); here it lives in the config: 0 is deterministic DDIM, 1 matches DDPM's posterior variance.
 */
export const DDIM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  clip_sample: true,
  set_alpha_to_one: true,
  steps_offset: 0,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  rescale_betas_zero_snr: false,
  eta: 0,
};

/** DDIM (Song, Meng, Ermon 2021), step for step as diffusers' DDIMScheduler. */
export function createDDIMScheduler(config: SchedulerConfig = {}): Scheduler {
  return new DDIMSampler(config);
}

class DDIMSampler implements Scheduler {
  readonly className = 'DDIMScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  readonly sigmas = new Float64Array(0);
  readonly initNoiseSigma = 1;
  private readonly predictionType: PredictionType;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly eta: number;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  /** alphaBar used after the last step: 1 (set_alpha_to_one) or alphaBar_0. */
  private readonly finalAlphaCumprod: number;
  private steps = 0;
  private grid: number[] = [];

  constructor(config: SchedulerConfig) {
    const cfg = resolveConfig(DDIM_DEFAULTS, config);
    const schedule = trainingScheduleFromConfig(cfg);
    this.numTrainTimesteps = schedule.numTrainTimesteps;
    this.alphasCumprod = schedule.alphasCumprod;
    this.predictionType = checkPredictionType(cfg.prediction_type);
    this.spacing = checkSpacing(cfg.timestep_spacing);
    this.stepsOffset = requireInteger('steps_offset', cfg.steps_offset, 0);
    this.eta = requireFinite('eta', cfg.eta, 0);
    this.clipSample = configFlag(cfg, 'clip_sample');
    this.clipSampleRange = requireFinite('clip_sample_range', cfg.clip_sample_range, 0);
    if (configFlag(cfg, 'thresholding')) {
      throw new InvalidArgumentError('thresholding', true, 'dynamic thresholding (Imagen) is not implemented; set thresholding: false (clip_sample still works)');
    }
    this.finalAlphaCumprod = configFlag(cfg, 'set_alpha_to_one') ? 1 : this.alphasCumprod[0];
    this.config = Object.freeze(cfg);
  }

  get numInferenceSteps(): number {
    return this.steps;
  }

  get timesteps(): number[] {
    return this.grid.slice();
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = checkNumSteps(numInferenceSteps, this.numTrainTimesteps);
    const grid = spacedTimesteps(this.spacing, this.numTrainTimesteps, n, { stepsOffset: this.stepsOffset, integer: true });
    checkTimestepsInRange(grid, this.numTrainTimesteps, this.stepsOffset);
    this.steps = n;
    this.grid = grid;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.steps);
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepIndex(stepIndex, this.steps);
    checkTensor('sample', sample);
    checkTensor('modelOutput', modelOutput, sample.length);
    const t = this.grid[i];
    // diffusers steps back by N // n whatever the spacing (so "trailing" lands between grid points).
    const prevT = t - Math.floor(this.numTrainTimesteps / this.steps);
    const alphaProdT = this.alphasCumprod[t];
    const alphaProdTPrev = prevT >= 0 ? this.alphasCumprod[prevT] : this.finalAlphaCumprod;
    const betaProdT = 1 - alphaProdT;
    const betaProdTPrev = 1 - alphaProdTPrev;

    const { predOriginalSample, predEpsilon } = predictOriginalSample(this.predictionType, modelOutput, sample, alphaProdT);
    if (this.clipSample) {
      const r = this.clipSampleRange;
      for (let k = 0; k < predOriginalSample.length; k++) predOriginalSample[k] = Math.min(r, Math.max(-r, predOriginalSample[k]));
    }

    /** sigma_t(eta) = eta sqrt((1 - abar_prev)/(1 - abar_t)) sqrt(1 - abar_t/abar_prev)  (Song et al. 2021, eq. 16). */
    const variance = (betaProdTPrev / betaProdT) * (1 - alphaProdT / alphaProdTPrev);
    const stdDevT = this.eta * Math.sqrt(variance);
    const noise = this.eta > 0 ? drawNoise(options.noise, sample.length, 'DDIM with eta > 0') : null;

    const sqrtAlphaPrev = Math.sqrt(alphaProdTPrev);
    const directionCoeff = Math.sqrt(Math.max(0, 1 - alphaProdTPrev - stdDevT * stdDevT));
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      /** x_{t-1} = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma_t^2) eps + sigma_t z  (Song et al. 2021, eq. 12). */
      let x = sqrtAlphaPrev * predOriginalSample[k] + directionCoeff * predEpsilon[k];
      if (noise) x += stdDevT * noise[k];
      prevSample[k] = x;
    }
    return { prevSample, denoised: predOriginalSample, state: options.state ?? EMPTY_STATE };
  }
}
