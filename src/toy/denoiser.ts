import { InvalidArgumentError, requireFinite } from '../core/errors.js';
import type { GaussianMixture } from './mixture.js';

/**
 * The exact denoiser D(x, sigma) = E[x0 | x] of a Gaussian mixture in the variance-exploding view
 * x = x0 + sigma * eps, eps ~ N(0, I) (Karras et al. 2022, "EDM", sec. 2).
 *
 * With x0 ~ sum_k w_k N(mu_k, S_k), S_k = diag(s_k^2):
 *   - the noisy marginal is p_sigma(x) = sum_k w_k N(x; mu_k, S_k + sigma^2 I);
 *   - the posterior over components is r_k(x) = w_k N(x; mu_k, S_k + sigma^2 I) / p_sigma(x) (Bayes);
 *   - within a component, (x0, x) is jointly Gaussian, so by Gaussian conditioning
 *     (Bishop, PRML 2006, eq. 2.116 / Murphy 2012, eq. 4.69)
 *     E[x0 | x, k] = mu_k + S_k (S_k + sigma^2 I)^{-1} (x - mu_k);
 *   - D(x, sigma) = sum_k r_k(x) E[x0 | x, k].
 * Per axis, the gain s_kj^2 / (s_kj^2 + sigma^2) is a scalar because the covariances are diagonal.
 * sigma = 0 gives D(x) = x; sigma = Infinity gives the mixture mean. Responsibilities use a
 * log-sum-exp in float64, so far-out points do not underflow.
 */
export function mixtureDenoiseVE(
  mixture: GaussianMixture,
  x: Float32Array | Float64Array,
  sigma: number,
): Float32Array {
  const n = mixture.pointCount('x', x);
  checkSigma(sigma);
  const d = mixture.dim;
  const out = new Float32Array(n * d);
  const work = new DenoiserWork(mixture);
  for (let i = 0; i < n; i++) {
    work.denoisePoint(x, i * d, sigma);
    for (let j = 0; j < d; j++) out[i * d + j] = work.result[j];
  }
  return out;
}

/**
 * The exact denoiser in the variance-preserving view x_t = sqrt(abar) x0 + sqrt(1 - abar) eps
 * (Ho et al. 2020, eq. 4): since x_t / sqrt(abar) = x0 + sigma * eps with sigma = sqrt((1 - abar) / abar),
 * E[x0 | x_t] = D(x_t / sqrt(abar), sigma) (the VE denoiser above; Karras et al. 2022, Table 1).
 * abar = 1 gives x_t itself; abar = 0 (pure noise) gives the mixture mean.
 */
export function mixtureDenoiseVP(
  mixture: GaussianMixture,
  xt: Float32Array | Float64Array,
  alphaBar: number,
): Float32Array {
  mixture.pointCount('xt', xt);
  requireFinite('alphaBar', alphaBar, 0, 1);
  if (alphaBar === 0) return mixtureDenoiseVE(mixture, xt, Infinity);
  const scale = 1 / Math.sqrt(alphaBar);
  const xVE = new Float64Array(xt.length);
  for (let i = 0; i < xt.length; i++) xVE[i] = xt[i] * scale;
  return mixtureDenoiseVE(mixture, xVE, Math.sqrt((1 - alphaBar) / alphaBar));
}

/**
 * The exact score grad_x log p_sigma(x) of the noisy mixture, via Tweedie's formula
 * (Efron 2011, eq. 1.4; Karras et al. 2022, eq. 3): grad log p_sigma(x) = (D(x, sigma) - x) / sigma^2.
 * sigma must be > 0.
 */
export function mixtureScoreVE(mixture: GaussianMixture, x: Float32Array | Float64Array, sigma: number): Float64Array {
  mixture.pointCount('x', x);
  requireFinite('sigma', sigma, Number.MIN_VALUE);
  const out = new Float64Array(x.length);
  // float64 all the way: (D - x) / sigma^2 loses precision quickly at small sigma.
  const work = new DenoiserWork(mixture);
  const d = mixture.dim;
  for (let i = 0; i < x.length / d; i++) {
    work.denoisePoint(x, i * d, sigma);
    for (let j = 0; j < d; j++) out[i * d + j] = (work.result[j] - x[i * d + j]) / (sigma * sigma);
  }
  return out;
}

/**
 * Posterior probabilities r_k(x) = P(component k | x) under the VE noise level sigma, n x K
 * point-major (the "which mode will this point end up in" picture).
 */
export function mixtureResponsibilities(
  mixture: GaussianMixture,
  x: Float32Array | Float64Array,
  sigma: number,
): Float64Array {
  const n = mixture.pointCount('x', x);
  checkSigma(sigma);
  const K = mixture.numComponents;
  const out = new Float64Array(n * K);
  const work = new DenoiserWork(mixture);
  for (let i = 0; i < n; i++) {
    work.denoisePoint(x, i * mixture.dim, sigma);
    for (let k = 0; k < K; k++) out[i * K + k] = work.responsibilities[k];
  }
  return out;
}

function checkSigma(sigma: number): void {
  if (typeof sigma !== 'number' || Number.isNaN(sigma) || sigma < 0) {
    throw new InvalidArgumentError('sigma', sigma, 'expected a number >= 0 (Infinity allowed: pure noise)');
  }
}

/**
 * Reusable float64 scratch space for denoising one point at a time; used by the denoiser, the
 * PF-ODE integrator and the model adapters. Internal to the toy module.
 */
export class DenoiserWork {
  readonly result: Float64Array;
  readonly responsibilities: Float64Array;
  private readonly logTerms: Float64Array;

  constructor(readonly mixture: GaussianMixture) {
    this.result = new Float64Array(mixture.dim);
    this.responsibilities = new Float64Array(mixture.numComponents);
    this.logTerms = new Float64Array(mixture.numComponents);
  }

  /** Writes D(x, sigma) for the point at `offset` of `x` into `this.result` (and r_k into `responsibilities`). */
  denoisePoint(x: ArrayLike<number>, offset: number, sigma: number): void {
    const m = this.mixture;
    const d = m.dim;
    const K = m.numComponents;
    const out = this.result;
    out.fill(0);
    if (sigma === Infinity) {
      for (let k = 0; k < K; k++) {
        this.responsibilities[k] = m.weights[k];
        for (let j = 0; j < d; j++) out[j] += m.weights[k] * m.means[k * d + j];
      }
      return;
    }
    const noiseVar = sigma * sigma;
    const logP = m.logComponentTerms(x, offset, noiseVar, this.logTerms);
    for (let k = 0; k < K; k++) {
      const r = Math.exp(this.logTerms[k] - logP);
      this.responsibilities[k] = r;
      for (let j = 0; j < d; j++) {
        const mu = m.means[k * d + j];
        const s2 = m.variances[k * d + j];
        out[j] += r * (mu + (s2 / (s2 + noiseVar)) * (x[offset + j] - mu));
      }
    }
  }
}
