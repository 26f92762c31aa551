import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { checkNumSteps, checkStepArgs, checkStepIndex, checkTensor, resolveConfig } from './common.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig, type StepOptions, type StepOutput } from './types.js';

/** diffusers' CMStochasticIterativeScheduler defaults. */
export const CM_STOCHASTIC_ITERATIVE_DEFAULTS = Object.freeze({
  num_train_timesteps: 40,
  sigma_min: 0.002,
  sigma_max: 80.0,
  sigma_data: 0.5,
  s_noise: 1.0,
  rho: 7.0,
  clip_denoised: true,
});

/**
 * Consistency-model multistep sampling (Song et al. 2023, Alg. 1), as diffusers' CMStochasticIterativeScheduler:
 * Karras sigmas on the training grid, model timesteps t = 250 log(sigma), boundary-condition scalings,
 * and re-noising to the next sigma with `options.noise` (drawn at every step when there is more than one).
 *
 * `alphasCumprod` holds the variance-preserving equivalent 1 / (1 + sigma^2) of the training sigmas, ordered
 * like a DDPM schedule (index 0 = least noise); the sampler itself works in sigma.
 */
export function createCMStochasticIterativeScheduler(config: SchedulerConfig = {}): Scheduler {
  return new CMStochasticIterativeScheduler(config);
}

/** Karras et al. 2022 (EDM), eq. 5, at ramp positions r in [0, 1]: sigma = (sigma_max^(1/rho) + r (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho. */
export function karrasSigmasAt(ramp: ArrayLike<number>, sigmaMin: number, sigmaMax: number, rho: number): Float64Array {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return Float64Array.from(ramp, (r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/** The consistency models' timestep for a sigma (Song et al. 2023, as in their code and diffusers): t = 1000 * 0.25 * log(sigma + 1e-44). */
export function cmSigmaToT(sigma: number): number {
  return 1000 * 0.25 * Math.log(sigma + 1e-44);
}

/**
 * Consistency-model boundary-condition scalings (Song et al. 2023, App. C, with epsilon = sigma_min):
 * c_skip = sigma_data^2 / ((sigma - sigma_min)^2 + sigma_data^2), c_out = (sigma - sigma_min) sigma_data / sqrt(sigma^2 + sigma_data^2).
 */
export function cmBoundaryScalings(
  sigma: number,
  sigmaMin: number,
  sigmaData: number,
): { cSkip: number; cOut: number } {
  const sd2 = sigmaData * sigmaData;
  const d = sigma - sigmaMin;
  return { cSkip: sd2 / (d * d + sd2), cOut: (d * sigmaData) / Math.sqrt(sigma * sigma + sd2) };
}

class CMStochasticIterativeScheduler implements Scheduler {
  readonly className = 'CMStochasticIterativeScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  readonly initNoiseSigma: number;
  numInferenceSteps = 0;
  timesteps: number[] = [];
  sigmas: Float64Array = new Float64Array(0);

  private readonly sigmaMin: number;
  private readonly sigmaMax: number;
  private readonly sigmaData: number;
  private readonly sNoise: number;
  private readonly rho: number;
  private readonly clipDenoised: boolean;

  constructor(userConfig: SchedulerConfig) {
    const cfg = resolveConfig(CM_STOCHASTIC_ITERATIVE_DEFAULTS, userConfig);
    this.numTrainTimesteps = requireInteger('num_train_timesteps', cfg.num_train_timesteps, 2, 100000);
    this.sigmaMin = requireFinite('sigma_min', cfg.sigma_min, Number.MIN_VALUE);
    this.sigmaMax = requireFinite('sigma_max', cfg.sigma_max, Number.MIN_VALUE);
    if (this.sigmaMax <= this.sigmaMin) {
      throw new InvalidArgumentError('sigma_max', this.sigmaMax, `expected a number > sigma_min = ${this.sigmaMin}`);
    }
    this.sigmaData = requireFinite('sigma_data', cfg.sigma_data, Number.MIN_VALUE);
    this.sNoise = requireFinite('s_noise', cfg.s_noise, 0);
    this.rho = requireFinite('rho', cfg.rho, Number.MIN_VALUE);
    if (typeof cfg.clip_denoised !== 'boolean')
      throw new InvalidArgumentError('clip_denoised', cfg.clip_denoised, 'expected true or false');
    this.clipDenoised = cfg.clip_denoised;
    this.initNoiseSigma = this.sigmaMax;
    const N = this.numTrainTimesteps;
    const trainSigmas = karrasSigmasAt(
      Array.from({ length: N }, (_, j) => j / (N - 1)),
      this.sigmaMin,
      this.sigmaMax,
      this.rho,
    );
    this.alphasCumprod = Float64Array.from({ length: N }, (_, j) => 1 / (1 + trainSigmas[N - 1 - j] ** 2));
    this.config = Object.freeze({ ...cfg });
  }

  /** Timesteps floor(N / n) apart on the training grid, mapped to Karras sigmas, as OpenAI's consistency_models code and diffusers do; sigmas end with sigma_min. */
  setTimesteps(numInferenceSteps: number): void {
    const n = checkNumSteps(numInferenceSteps, this.numTrainTimesteps);
    const N = this.numTrainTimesteps;
    const stepRatio = Math.floor(N / n);
    const ramp = Array.from({ length: n }, (_, j) => (j * stepRatio) / (N - 1));
    const sigmas = karrasSigmasAt(ramp, this.sigmaMin, this.sigmaMax, this.rho);
    this.timesteps = Array.from(sigmas, cmSigmaToT);
    this.sigmas = Float64Array.from([...sigmas, this.sigmaMin], (s) => Math.fround(s));
    this.numInferenceSteps = n;
  }

  /** c_in = 1 / sqrt(sigma^2 + sigma_data^2) (Karras et al. 2022, Table 1; Song et al. 2023, App. C). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    const i = checkStepIndex(stepIndex, this.numInferenceSteps);
    const sigma = this.sigmas[i];
    const cIn = 1 / Math.sqrt(sigma * sigma + this.sigmaData * this.sigmaData);
    return sample.map((v) => v * cIn);
  }

  /**
   * One step of multistep consistency sampling (Song et al. 2023, Alg. 1): x0 = c_skip x + c_out F (clipped to
   * [-1, 1] if clip_denoised), then x_next = x0 + s_noise z sqrt(sigma_next^2 - sigma_min^2).
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.numInferenceSteps);
    const sigma = this.sigmas[i];
    const sigmaNext = this.sigmas[i + 1];
    const { cSkip, cOut } = cmBoundaryScalings(sigma, this.sigmaMin, this.sigmaData);
    const denoised = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const d = cOut * modelOutput[k] + cSkip * sample[k];
      denoised[k] = this.clipDenoised ? Math.min(1, Math.max(-1, d)) : d;
    }
    const state = options.state ?? EMPTY_STATE;
    // diffusers draws noise at every step of a multistep run (also the last, where its weight is zero); none for one step.
    if (this.timesteps.length === 1) return { prevSample: denoised.slice(), denoised, state };
    if (!options.noise) {
      throw new InvalidArgumentError(
        'noise',
        options.noise,
        'CMStochasticIterativeScheduler re-noises between steps (Song et al. 2023, Alg. 1): pass options.noise (a NoiseSource, e.g. new Rng(seed))',
      );
    }
    const z = options.noise.normal(sample.length);
    checkTensor('noise', z, sample.length);
    const sigmaHat = Math.min(this.sigmaMax, Math.max(this.sigmaMin, sigmaNext));
    const scale = this.sNoise * Math.sqrt(Math.max(0, sigmaHat * sigmaHat - this.sigmaMin * this.sigmaMin));
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) prevSample[k] = denoised[k] + z[k] * scale;
    return { prevSample, denoised, state };
  }
}
