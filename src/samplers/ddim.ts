import { requireFinite } from '../core/errors.js';
import { configFlag } from '../schedules/trainingSchedule.js';
import { checkStepArgs, drawNoise, predictOriginalSample, resolveConfig } from './common.js';
import { DiscreteVpScheduler } from './discreteVp.js';
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

class DDIMSampler extends DiscreteVpScheduler {
  readonly className = 'DDIMScheduler';
  private readonly eta: number;
  /** alphaBar used after the last step: 1 (set_alpha_to_one) or alphaBar_0. */
  private readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    const cfg = resolveConfig(DDIM_DEFAULTS, config);
    super(cfg);
    this.eta = requireFinite('eta', cfg.eta, 0);
    this.finalAlphaCumprod = configFlag(cfg, 'set_alpha_to_one') ? 1 : this.alphasCumprod[0];
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.steps);
    const t = this.grid[i];
    // diffusers steps back by N // n whatever the spacing (so "trailing" lands between grid points).
    const prevT = t - Math.floor(this.numTrainTimesteps / this.steps);
    const alphaProdT = this.alphasCumprod[t];
    const alphaProdTPrev = prevT >= 0 ? this.alphasCumprod[prevT] : this.finalAlphaCumprod;
    const betaProdT = 1 - alphaProdT;
    const betaProdTPrev = 1 - alphaProdTPrev;

    const { predOriginalSample, predEpsilon } = predictOriginalSample(
      this.predictionType,
      modelOutput,
      sample,
      alphaProdT,
    );
    this.clipPrediction(predOriginalSample);

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
