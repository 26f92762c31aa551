import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/**
 * How to describe a Gaussian mixture p(x) = sum_k w_k N(x; mu_k, diag(s_k^2)).
 * `variances[k]` is one number (isotropic component, s_k^2 on every axis) or one number per axis
 * (diagonal covariance). Weights must be positive; they are normalised to sum to 1.
 */
export interface GaussianMixtureSpec {
  weights: readonly number[];
  means: readonly (readonly number[])[];
  variances: readonly (number | readonly number[])[];
}

/**
 * A Gaussian mixture with diagonal covariances in d dimensions: the toy data distribution whose
 * noisy marginals, denoiser and probability-flow ODE are known exactly.
 *
 * Points are stored point-major in a Float32Array: point i occupies [i*d, (i+1)*d).
 */
export class GaussianMixture {
  /** Dimension d of one point. */
  readonly dim: number;
  /** Number of components K. */
  readonly numComponents: number;
  /** Normalised weights w_k (sum to 1). */
  readonly weights: Float64Array;
  /** Means, K x d, component-major. */
  readonly means: Float64Array;
  /** Per-axis variances s_{k,j}^2, K x d, component-major. */
  readonly variances: Float64Array;

  constructor(spec: GaussianMixtureSpec) {
    if (spec === null || typeof spec !== 'object') {
      throw new InvalidArgumentError('spec', spec, 'expected { weights, means, variances }');
    }
    const { weights, means, variances } = spec;
    if (!Array.isArray(weights) || weights.length === 0) {
      throw new InvalidArgumentError('weights', weights, 'expected a non-empty array of positive numbers');
    }
    const K = weights.length;
    if (!Array.isArray(means) || means.length !== K) {
      throw new InvalidArgumentError('means', means, `expected an array of ${K} mean vectors (one per weight)`);
    }
    if (!Array.isArray(variances) || variances.length !== K) {
      throw new InvalidArgumentError('variances', variances, `expected an array of ${K} entries (one per weight)`);
    }
    const first = means[0];
    if (!Array.isArray(first) || first.length === 0) {
      throw new InvalidArgumentError('means[0]', first, 'expected a non-empty array of numbers');
    }
    const d = first.length;
    this.dim = d;
    this.numComponents = K;
    this.weights = new Float64Array(K);
    this.means = new Float64Array(K * d);
    this.variances = new Float64Array(K * d);
    let total = 0;
    for (let k = 0; k < K; k++) {
      const w = weights[k];
      if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
        throw new InvalidArgumentError(`weights[${k}]`, w, 'expected a finite number > 0');
      }
      total += w;
      const mu = means[k];
      if (!Array.isArray(mu) || mu.length !== d) {
        throw new InvalidArgumentError(
          `means[${k}]`,
          mu,
          `expected an array of ${d} numbers (the dimension of means[0])`,
        );
      }
      const v = variances[k];
      if (typeof v !== 'number' && (!Array.isArray(v) || v.length !== d)) {
        throw new InvalidArgumentError(
          `variances[${k}]`,
          v,
          `expected a number > 0 (isotropic) or an array of ${d} numbers > 0 (diagonal)`,
        );
      }
      for (let j = 0; j < d; j++) {
        this.means[k * d + j] = requireFinite(`means[${k}][${j}]`, mu[j]);
        const vj = typeof v === 'number' ? v : v[j];
        const field = typeof v === 'number' ? `variances[${k}]` : `variances[${k}][${j}]`;
        if (typeof vj !== 'number' || !Number.isFinite(vj) || vj <= 0) {
          throw new InvalidArgumentError(field, vj, 'expected a finite variance > 0');
        }
        this.variances[k * d + j] = vj;
      }
    }
    for (let k = 0; k < K; k++) this.weights[k] = weights[k] / total;
  }

  /**
   * `n` independent samples, n x d point-major. Each draws a component k with probability w_k
   * (one uniform), then mu_k + s_k * z with z ~ N(0, I) (d normals), all from `rng`.
   */
  sample(n: number, rng: Rng): Float32Array {
    requireInteger('n', n, 0);
    const { dim: d, numComponents: K } = this;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform1();
      let k = 0;
      let acc = this.weights[0];
      while (k < K - 1 && u > acc) acc += this.weights[++k];
      for (let j = 0; j < d; j++) {
        out[i * d + j] = this.means[k * d + j] + Math.sqrt(this.variances[k * d + j]) * rng.normal1();
      }
    }
    return out;
  }

  /**
   * log p_sigma(x) for each point, where p_sigma is the data density convolved with N(0, sigma^2 I):
   * p_sigma(x) = sum_k w_k N(x; mu_k, diag(s_k^2 + sigma^2)). sigma = 0 (default) is the data density.
   */
  logDensity(points: Float32Array | Float64Array, sigma = 0): Float64Array {
    const n = this.pointCount('points', points);
    requireFinite('sigma', sigma, 0);
    const out = new Float64Array(n);
    const logTerms = new Float64Array(this.numComponents);
    for (let i = 0; i < n; i++) out[i] = this.logComponentTerms(points, i * this.dim, sigma * sigma, logTerms);
    return out;
  }

  /** The mixture mean sum_k w_k mu_k (length d). */
  mean(): Float64Array {
    const { dim: d } = this;
    const out = new Float64Array(d);
    for (let k = 0; k < this.numComponents; k++)
      for (let j = 0; j < d; j++) out[j] += this.weights[k] * this.means[k * d + j];
    return out;
  }

  /** Per-axis variance of the mixture: sum_k w_k (s_kj^2 + mu_kj^2) - mean_j^2 (length d). */
  axisVariance(): Float64Array {
    const { dim: d } = this;
    const m = this.mean();
    const out = new Float64Array(d);
    for (let k = 0; k < this.numComponents; k++) {
      for (let j = 0; j < d; j++) out[j] += this.weights[k] * (this.variances[k * d + j] + this.means[k * d + j] ** 2);
    }
    for (let j = 0; j < d; j++) out[j] -= m[j] * m[j];
    return out;
  }

  /**
   * Fills `logTerms[k]` = log w_k + log N(x; mu_k, diag(s_k^2 + noiseVar)) for the point at `offset`
   * and returns their log-sum-exp, log p(x). Internal to the toy module.
   */
  logComponentTerms(points: ArrayLike<number>, offset: number, noiseVar: number, logTerms: Float64Array): number {
    const { dim: d, numComponents: K } = this;
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = Math.log(this.weights[k]);
      for (let j = 0; j < d; j++) {
        const v = this.variances[k * d + j] + noiseVar;
        const r = points[offset + j] - this.means[k * d + j];
        s -= 0.5 * ((r * r) / v + Math.log(2 * Math.PI * v));
      }
      logTerms[k] = s;
      if (s > max) max = s;
    }
    if (max === -Infinity) return -Infinity;
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(logTerms[k] - max);
    return max + Math.log(sum);
  }

  /** Number of points in a point-major array; throws if its length is not a multiple of d. Internal. */
  pointCount(field: string, points: ArrayLike<number>): number {
    if (!(points instanceof Float32Array) && !(points instanceof Float64Array)) {
      throw new InvalidArgumentError(
        field,
        typeof points,
        'expected a Float32Array (or Float64Array) of n x d numbers, point-major',
      );
    }
    if (points.length % this.dim !== 0) {
      throw new InvalidArgumentError(
        `${field}.length`,
        points.length,
        `expected a multiple of the mixture's dimension d = ${this.dim}`,
      );
    }
    return points.length / this.dim;
  }
}

/**
 * The 1-D example mixture of the course's toy sections: three components inside [-1, 1] with unequal
 * weights (0.5, 0.3, 0.2), means (-0.6, 0.1, 0.7) and standard deviations (0.12, 0.08, 0.1).
 */
export function exampleMixture1d(): GaussianMixture {
  return new GaussianMixture({
    weights: [0.5, 0.3, 0.2],
    means: [[-0.6], [0.1], [0.7]],
    variances: [0.12 ** 2, 0.08 ** 2, 0.1 ** 2],
  });
}

/**
 * The 2-D example mixture: four components inside [-1, 1]^2 with unequal weights, one of them
 * anisotropic (diagonal variances), so that the sampler must get both mode weights and shapes right.
 */
export function exampleMixture2d(): GaussianMixture {
  return new GaussianMixture({
    weights: [0.35, 0.3, 0.2, 0.15],
    means: [
      [-0.5, -0.45],
      [0.5, 0.5],
      [-0.45, 0.55],
      [0.55, -0.5],
    ],
    variances: [0.1 ** 2, 0.08 ** 2, [0.15 ** 2, 0.05 ** 2], 0.1 ** 2],
  });
}
