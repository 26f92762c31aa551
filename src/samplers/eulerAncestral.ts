import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { checkStepArgs, drawNoise, resolveConfig } from './common.js';
import { denoisedFromSigma, SigmaGridScheduler } from './euler.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig, type StepOptions, type StepOutput } from './types.js';

/** diffusers' EulerAncestralDiscreteScheduler defaults. */
export const EULER_ANCESTRAL_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'linspace',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
};

/** Euler ancestral sampling (k-diffusion's sample_euler_ancestral; Karras et al. 2022 grid), as diffusers' EulerAncestralDiscreteScheduler. */
export function createEulerAncestralDiscreteScheduler(config: SchedulerConfig = {}): Scheduler {
  return new EulerAncestralSampler(config);
}

/**
 * Splits the move sigma_from -> sigma_to into a deterministic part down to sigma_down and fresh noise
 * of size sigma_up, with sigma_down^2 + sigma_up^2 = sigma_to^2 (k-diffusion get_ancestral_step, eta = 1):
 * sigma_up = sqrt(sigma_to^2 (sigma_from^2 - sigma_to^2) / sigma_from^2).
 */
export function ancestralStepSigmas(sigmaFrom: number, sigmaTo: number): { sigmaUp: number; sigmaDown: number } {
  const sigmaUp = Math.sqrt(
    (sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom),
  );
  const sigmaDown = Math.sqrt(Math.max(0, sigmaTo * sigmaTo - sigmaUp * sigmaUp));
  return { sigmaUp, sigmaDown };
}

class EulerAncestralSampler extends SigmaGridScheduler {
  readonly className = 'EulerAncestralDiscreteScheduler';

  constructor(config: SchedulerConfig) {
    const cfg = resolveConfig(EULER_ANCESTRAL_DEFAULTS, config);
    if (cfg.prediction_type === 'sample') {
      throw new InvalidArgumentError(
        'prediction_type',
        'sample',
        'EulerAncestralDiscreteScheduler supports "epsilon" or "v_prediction" (diffusers does not implement "sample")',
      );
    }
    const stepsOffset = requireInteger('steps_offset', cfg.steps_offset, 0);
    super(cfg, { stepsOffset, useKarrasSigmas: false, sigmaMin: null, sigmaMax: null, finalSigmasType: 'zero' });
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.steps);
    const sigma = this.grid.sigmas[i];
    const { sigmaUp, sigmaDown } = ancestralStepSigmas(sigma, this.grid.sigmas[i + 1]);
    const denoised = denoisedFromSigma(this.predictionType, modelOutput, sample, sigma);
    // diffusers draws the noise on every step, the last one (sigma_up = 0) included.
    const noise = drawNoise(options.noise, sample.length, 'Euler ancestral');
    const dt = sigmaDown - sigma;
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      /** x' = x + (sigma_down - sigma) (x - D(x)) / sigma + sigma_up z  (Euler step to sigma_down, then ancestral noise). */
      const derivative = (sample[k] - denoised[k]) / sigma;
      prevSample[k] = sample[k] + derivative * dt + noise[k] * sigmaUp;
    }
    return { prevSample, denoised, state: options.state ?? EMPTY_STATE };
  }
}
