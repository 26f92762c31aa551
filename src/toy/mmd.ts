import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { pointsOf } from './samples.js';

/** Options of `mmdSquaredRbf`. */
export interface MmdOptions {
  /**
   * RBF length scale l in k(a, b) = exp(-|a - b|^2 / (2 l^2)). Default: the median heuristic
   * (Gretton et al. 2012, sec. 8), the median pairwise distance among the first 256 points of each set.
   */
  bandwidth?: number;
}

/**
 * Unbiased estimate of the squared maximum mean discrepancy with a Gaussian RBF kernel
 * (Gretton et al. 2012, "A Kernel Two-Sample Test", eq. 3):
 * MMD^2_u = 1/(n(n-1)) sum_{i!=j} k(x_i, x_j) + 1/(m(m-1)) sum_{i!=j} k(y_i, y_j) - 2/(n m) sum_{i,j} k(x_i, y_j).
 * It is zero in expectation when both sets come from the same distribution, so it can be slightly
 * negative. Cost O((n + m)^2 d). Points are n x d and m x d, point-major; n, m >= 2.
 */
export function mmdSquaredRbf(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  dim: number,
  options: MmdOptions = {},
): number {
  requireInteger('dim', dim, 1);
  const n = pointsOf('x', x, dim);
  const m = pointsOf('y', y, dim);
  if (n < 2)
    throw new InvalidArgumentError('x.length', x.length, `expected at least 2 points (2 x dim = ${2 * dim} numbers)`);
  if (m < 2)
    throw new InvalidArgumentError('y.length', y.length, `expected at least 2 points (2 x dim = ${2 * dim} numbers)`);
  const l =
    options.bandwidth === undefined
      ? medianBandwidth(x, n, y, m, dim)
      : requireFinite('bandwidth', options.bandwidth, Number.MIN_VALUE);
  const gamma = 1 / (2 * l * l);
  const kxx = kernelSum(x, n, x, n, dim, gamma, true);
  const kyy = kernelSum(y, m, y, m, dim, gamma, true);
  const kxy = kernelSum(x, n, y, m, dim, gamma, false);
  return kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - (2 * kxy) / (n * m);
}

function kernelSum(
  a: ArrayLike<number>,
  na: number,
  b: ArrayLike<number>,
  nb: number,
  dim: number,
  gamma: number,
  same: boolean,
): number {
  let s = 0;
  for (let i = 0; i < na; i++) {
    for (let j = same ? i + 1 : 0; j < nb; j++) {
      let r2 = 0;
      for (let k = 0; k < dim; k++) {
        const t = a[i * dim + k] - b[j * dim + k];
        r2 += t * t;
      }
      s += Math.exp(-gamma * r2);
    }
  }
  return same ? 2 * s : s;
}

function medianBandwidth(x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, dim: number): number {
  const pool: number[][] = [];
  for (let i = 0; i < Math.min(n, 256); i++) pool.push(Array.from({ length: dim }, (_, k) => x[i * dim + k]));
  for (let i = 0; i < Math.min(m, 256); i++) pool.push(Array.from({ length: dim }, (_, k) => y[i * dim + k]));
  const dists: number[] = [];
  for (let i = 0; i < pool.length; i++) {
    for (let j = i + 1; j < pool.length; j++) {
      let r2 = 0;
      for (let k = 0; k < dim; k++) r2 += (pool[i][k] - pool[j][k]) ** 2;
      dists.push(Math.sqrt(r2));
    }
  }
  dists.sort((p, q) => p - q);
  const med = dists[Math.floor(dists.length / 2)];
  if (!(med > 0))
    throw new InvalidArgumentError(
      'bandwidth',
      undefined,
      'the median heuristic gave 0 (identical points): pass options.bandwidth > 0',
    );
  return med;
}
