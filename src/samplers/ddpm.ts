import { requireOneOf } from '../core/errors.js';
import { checkStepArgs, drawNoise, predictOriginalSample, resolveConfig } from './common.js';
import { DiscreteVpScheduler } from './discreteVp.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig, type StepOptions, type StepOutput } from './types.js';

/** diffusers' DDPMScheduler defaults. */
export const DDPM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  variance_type: 'fixed_small',
  clip_sample: true,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
};

/** DDPM variances supported here: posterior variance beta-tilde (fixed_small) or beta_t (fixed_large), Ho et al. 2020, sec. 3.2. */
export const DDPM_VARIANCE_TYPES = ['fixed_small', 'fixed_large'] as const;

/** DDPM ancestral sampling (Ho, Jain, Abbeel 2020), step for step as diffusers' DDPMScheduler. */
export function createDDPMScheduler(config: SchedulerConfig = {}): Scheduler {
  return new DDPMSampler(config);
}

class DDPMSampler extends DiscreteVpScheduler {
  readonly className = 'DDPMScheduler';
  private readonly varianceType: (typeof DDPM_VARIANCE_TYPES)[number];

  constructor(config: SchedulerConfig) {
    const cfg = resolveConfig(DDPM_DEFAULTS, config);
    super(cfg);
    this.varianceType = requireOneOf('variance_type', cfg.variance_type, DDPM_VARIANCE_TYPES);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.steps);
    const t = this.grid[i];
    const prevT = i + 1 < this.steps ? this.grid[i + 1] : -1;
    const alphaProdT = this.alphasCumprod[t];
    const alphaProdTPrev = prevT >= 0 ? this.alphasCumprod[prevT] : 1;
    const betaProdT = 1 - alphaProdT;
    const betaProdTPrev = 1 - alphaProdTPrev;
    const currentAlphaT = alphaProdT / alphaProdTPrev;
    const currentBetaT = 1 - currentAlphaT;

    const { predOriginalSample } = predictOriginalSample(this.predictionType, modelOutput, sample, alphaProdT);
    this.clipPrediction(predOriginalSample);

    // diffusers adds noise whenever t > 0 (also on the last step of a grid that does not end at 0).
    let stdDev = 0;
    let noise: Float32Array | null = null;
    if (t > 0) {
      noise = drawNoise(options.noise, sample.length, 'DDPM');
      /** beta-tilde_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t  (Ho et al. 2020, eq. 7), floored at 1e-20 as diffusers does. */
      const variance =
        this.varianceType === 'fixed_small'
          ? Math.max((betaProdTPrev / betaProdT) * currentBetaT, 1e-20)
          : currentBetaT;
      stdDev = Math.sqrt(variance);
    }

    const x0Coeff = (Math.sqrt(alphaProdTPrev) * currentBetaT) / betaProdT;
    const xtCoeff = (Math.sqrt(currentAlphaT) * betaProdTPrev) / betaProdT;
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      /** mu-tilde = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x0 + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t  (Ho et al. 2020, eq. 7). */
      let x = x0Coeff * predOriginalSample[k] + xtCoeff * sample[k];
      if (noise) x += stdDev * noise[k];
      prevSample[k] = x;
    }
    return { prevSample, denoised: predOriginalSample, state: options.state ?? EMPTY_STATE };
  }
}
