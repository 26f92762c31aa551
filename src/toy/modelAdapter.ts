import { InvalidArgumentError, requireFinite, requireInteger, requireOneOf } from '../core/errors.js';
import type { ModelFn } from '../samplers/loop.js';
import type { Scheduler } from '../samplers/types.js';
import { consistencyMap } from './pfOde.js';
import { DenoiserWork } from './denoiser.js';
import type { GaussianMixture } from './mixture.js';

/**
 * What the toy model knows how to predict:
 * - `posterior-mean`: the exact denoiser E[x0 | x_t] (what an ideal diffusion model learns);
 * - `consistency`: the exact consistency function, the PF-ODE end point through (x_t, t) (what an
 *   ideal consistency model / LCM learns; Song et al. 2023, Luo et al. 2023).
 */
export const TOY_MODEL_TARGETS = ['posterior-mean', 'consistency'] as const;
export type ToyModelTarget = (typeof TOY_MODEL_TARGETS)[number];

/** Options of `createToyModel`. */
export interface ToyModelOptions {
  /** Default: `consistency` for LCMScheduler and CMStochasticIterativeScheduler, else `posterior-mean`. */
  target?: ToyModelTarget;
  /** Heun steps of the consistency function's PF-ODE solve (default 96). */
  odeSteps?: number;
  /** End of the PF-ODE for the consistency target (default: CM's config.sigma_min, else 0.002). */
  sigmaMin?: number;
}

/** How a scheduler class feeds the model: the noise level it encodes and the input scaling. */
type InputKind = 'vp-timestep' | 'sigma-scaled' | 'edm-cm';

const INPUT_KIND: Record<string, InputKind> = {
  DDPMScheduler: 'vp-timestep',
  DDIMScheduler: 'vp-timestep',
  DPMSolverMultistepScheduler: 'vp-timestep',
  LCMScheduler: 'vp-timestep',
  EulerDiscreteScheduler: 'sigma-scaled',
  EulerAncestralDiscreteScheduler: 'sigma-scaled',
  CMStochasticIterativeScheduler: 'edm-cm',
};

/** Scheduler classes `createToyModel` knows how to serve. */
export const TOY_MODEL_SCHEDULER_CLASSES = Object.keys(INPUT_KIND);

/**
 * A `ModelFn` backed by the exact mixture denoiser, so that every sampler runs on the toy for real.
 * It answers in the scheduler's own parameterisation:
 *
 * - VP samplers (DDPM, DDIM, DPM-Solver++, LCM) pass x_t at timestep t; abar = alphasCumprod[t]
 *   (a fractional t interpolates sigma_t = sqrt((1 - abar)/abar) linearly, as numpy.interp in diffusers).
 * - Euler-type samplers pass x / sqrt(sigma^2 + 1) with sigma = scheduler.sigmas[stepIndex]; that is a
 *   VP sample with abar = 1 / (1 + sigma^2).
 *   For both, the output is the config's prediction_type: epsilon = (x_t - sqrt(abar) x0) / sqrt(1 - abar),
 *   v = sqrt(abar) eps - sqrt(1 - abar) x0 (Salimans & Ho 2022), or sample = x0.
 *   LCM's denoised is c_skip x_t + c_out x0_pred (c_skip = sd^2 / ((10 t)^2 + sd^2), c_out =
 *   10 t / sqrt((10 t)^2 + sd^2), sd = 0.5, 10 = config.timestep_scaling); the adapter inverts it, so
 *   LCM's denoised equals the target exactly.
 * - CMStochasticIterativeScheduler (EDM/VE parameterisation, Song et al. 2023, App. C) passes
 *   c_in x = x / sqrt(sigma^2 + sd^2) with sigma = scheduler.sigmas[stepIndex]; it computes
 *   denoised = c_skip x + c_out F with c_skip = sd^2 / ((sigma - sigma_min)^2 + sd^2),
 *   c_out = (sigma - sigma_min) sd / sqrt(sigma^2 + sd^2) (sd = config.sigma_data, default 0.5), so the
 *   adapter returns F = (target - c_skip x) / c_out.
 *
 * Why the target matters: one step from pure noise with the posterior mean gives E[x0] (the mixture
 * mean) for every point; only the consistency function maps noise to data in one step.
 * `scaledSample` is n x d, point-major, d = mixture.dim.
 */
export function createToyModel(scheduler: Scheduler, mixture: GaussianMixture, options: ToyModelOptions = {}): ModelFn {
  const className = scheduler?.className;
  const kind =
    typeof className === 'string' && Object.prototype.hasOwnProperty.call(INPUT_KIND, className)
      ? INPUT_KIND[className]
      : undefined;
  if (kind === undefined) {
    throw new InvalidArgumentError(
      'scheduler.className',
      className,
      `expected one of ${TOY_MODEL_SCHEDULER_CLASSES.join(', ')}`,
    );
  }
  const isConsistencyClass = className === 'LCMScheduler' || className === 'CMStochasticIterativeScheduler';
  const target = requireOneOf(
    'target',
    options.target ?? (isConsistencyClass ? 'consistency' : 'posterior-mean'),
    TOY_MODEL_TARGETS,
  );
  const odeSteps = requireInteger('odeSteps', options.odeSteps ?? 96, 1, 100000);
  const cfg = scheduler.config;
  const predictionType =
    kind === 'edm-cm'
      ? 'sample'
      : requireOneOf('prediction_type', cfg.prediction_type ?? 'epsilon', [
          'epsilon',
          'v_prediction',
          'sample',
        ] as const);
  const sigmaData = kind === 'edm-cm' ? requireFinite('sigma_data', cfg.sigma_data ?? 0.5, Number.MIN_VALUE) : 0.5;
  const cmSigmaMin = kind === 'edm-cm' ? requireFinite('sigma_min', cfg.sigma_min ?? 0.002, 0) : 0;
  const odeSigmaMin = requireFinite(
    'sigmaMin',
    options.sigmaMin ?? (kind === 'edm-cm' && cmSigmaMin > 0 ? cmSigmaMin : 0.002),
    Number.MIN_VALUE,
  );
  const lcmTimestepScaling =
    className === 'LCMScheduler' ? requireFinite('timestep_scaling', cfg.timestep_scaling ?? 10, 0) : 0;
  const d = mixture.dim;
  const work = new DenoiserWork(mixture);

  return (scaledSample: Float32Array, timestep: number, stepIndex: number): Float32Array => {
    const n = mixture.pointCount('scaledSample', scaledSample);
    // 1. The noise level sigma (VE) and the VE-coordinate sample x = x0 + sigma * eps.
    let sigma: number;
    let toVE: number; // x = toVE * scaledSample
    if (kind === 'vp-timestep') {
      sigma = vpSigmaAt(scheduler.alphasCumprod, timestep);
      toVE = Math.sqrt(1 + sigma * sigma); // 1 / sqrt(abar)
    } else {
      sigma = schedulerSigma(scheduler, stepIndex);
      toVE = Math.sqrt(sigma * sigma + (kind === 'edm-cm' ? sigmaData * sigmaData : 1));
    }
    const x = new Float64Array(scaledSample.length);
    for (let i = 0; i < x.length; i++) x[i] = scaledSample[i] * toVE;
    // 2. The target x0-estimate.
    let x0: ArrayLike<number>;
    if (target === 'consistency') {
      x0 = consistencyMap(mixture, x, sigma, { sigmaMin: odeSigmaMin, steps: odeSteps });
    } else {
      const out = new Float64Array(x.length);
      for (let p = 0; p < n; p++) {
        work.denoisePoint(x, p * d, sigma);
        for (let j = 0; j < d; j++) out[p * d + j] = work.result[j];
      }
      x0 = out;
    }
    // 3. The scheduler's parameterisation.
    const result = new Float32Array(scaledSample.length);
    if (kind === 'edm-cm') {
      const cSkip = (sigmaData * sigmaData) / ((sigma - cmSigmaMin) ** 2 + sigmaData * sigmaData);
      const cOut = ((sigma - cmSigmaMin) * sigmaData) / Math.sqrt(sigma * sigma + sigmaData * sigmaData);
      if (cOut === 0) return result; // at sigma = sigma_min the output is ignored (denoised = x)
      for (let i = 0; i < result.length; i++) result[i] = (x0[i] - cSkip * x[i]) / cOut;
      return result;
    }
    const alphaProdT = 1 / (1 + sigma * sigma);
    const sqrtA = Math.sqrt(alphaProdT);
    const sqrtB = sigma * sqrtA; // sqrt(1 - abar)
    let cSkip = 0;
    let cOut = 1;
    if (className === 'LCMScheduler' && target === 'consistency') {
      const scaled = timestep * lcmTimestepScaling;
      cSkip = 0.25 / (scaled * scaled + 0.25);
      cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    }
    for (let i = 0; i < result.length; i++) {
      const xt = scaledSample[i];
      // x0 the scheduler must reconstruct so that its denoised equals the target
      const x0Pred = cOut === 1 && cSkip === 0 ? x0[i] : cOut === 0 ? 0 : (x0[i] - cSkip * xt) / cOut;
      if (predictionType === 'sample') {
        result[i] = x0Pred;
      } else if (sqrtB === 0) {
        result[i] = 0; // no noise: any epsilon / v gives back x_t
      } else {
        const eps = (xt - sqrtA * x0Pred) / sqrtB;
        result[i] = predictionType === 'epsilon' ? eps : sqrtA * eps - sqrtB * x0Pred;
      }
    }
    return result;
  };
}

/** sigma_t = sqrt((1 - abar_t) / abar_t) at a (possibly fractional) training timestep t. */
function vpSigmaAt(alphasCumprod: Float64Array, t: number): number {
  const T = alphasCumprod.length;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > T - 1) {
    throw new InvalidArgumentError(
      'timestep',
      t,
      `expected a number in [0, ${T - 1}] (the scheduler's training timesteps)`,
    );
  }
  const sig = (k: number) => Math.sqrt((1 - alphasCumprod[k]) / alphasCumprod[k]);
  const lo = Math.floor(t);
  if (lo === t) return sig(lo);
  const w = t - lo;
  return (1 - w) * sig(lo) + w * sig(lo + 1);
}

function schedulerSigma(scheduler: Scheduler, stepIndex: number): number {
  const sigmas = scheduler.sigmas;
  if (typeof stepIndex !== 'number' || !Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= sigmas.length) {
    throw new InvalidArgumentError(
      'stepIndex',
      stepIndex,
      `expected an integer in [0, ${sigmas.length - 1}] (an index into scheduler.sigmas; call setTimesteps first)`,
    );
  }
  return sigmas[stepIndex];
}
