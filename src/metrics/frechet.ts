import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidArgumentError, NumericalError, requireInteger } from '../core/errors.js';

/** Mean and covariance of a feature set. */
export interface FeatureMoments {
  dim: number;
  /** Mean vector, length dim. */
  mu: Float64Array;
  /** Covariance, dim x dim row-major, unbiased (divides by n - 1, as numpy.cov and pytorch-fid). */
  sigma: Float64Array;
}

/** Mean and unbiased covariance of `n x dim` row-major features (n >= 2). */
export function featureMoments(features: ArrayLike<number>, dim: number, field = 'features'): FeatureMoments {
  requireInteger('dim', dim, 1);
  if (features === null || typeof features !== 'object' || typeof features.length !== 'number') {
    throw new InvalidArgumentError(field, features, 'expected a row-major array of n x dim features');
  }
  if (features.length % dim !== 0) {
    throw new InvalidArgumentError(`${field}.length`, features.length, `expected a multiple of dim = ${dim}`);
  }
  const n = features.length / dim;
  if (n < 2)
    throw new InvalidArgumentError(
      `${field}.length`,
      features.length,
      `expected at least 2 rows of dim = ${dim} for a covariance`,
    );
  const mu = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j];
      if (!Number.isFinite(v))
        throw new InvalidArgumentError(`${field}[${r * dim + j}]`, v, 'expected a finite number');
      mu[j] += v;
    }
  }
  for (let j = 0; j < dim; j++) mu[j] /= n;
  const sigma = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dim; j++) centred[j] = features[r * dim + j] - mu[j];
    for (let i = 0; i < dim; i++) {
      const ci = centred[i];
      for (let j = i; j < dim; j++) sigma[i * dim + j] += ci * centred[j];
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = sigma[i * dim + j] / (n - 1);
      sigma[i * dim + j] = v;
      sigma[j * dim + i] = v;
    }
  }
  return { dim, mu, sigma };
}

/** Eigen-decomposition of a symmetric matrix (ml-matrix: Householder tridiagonalisation + QL). */
function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: evd.realEigenvalues, vectors: evd.eigenvectorMatrix };
}

function toMatrix(flat: ArrayLike<number>, dim: number): Matrix {
  const m = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) m.set(i, j, (flat[i * dim + j] + flat[j * dim + i]) / 2);
  return m;
}

/** A Frechet distance with what was done to it. */
export interface FrechetResult {
  /** The distance, >= 0. */
  distance: number;
  /** The formula's value before clamping (may be slightly negative from round-off). */
  raw: number;
  /** True when `raw` was below 0 and `distance` is 0 (round-off: the true distance is never negative). */
  clamped: boolean;
}

/**
 * Relative size below which a negative eigenvalue counts as round-off: covariances computed from
 * features are PSD in exact arithmetic, and symmetric eigensolvers return about -1e-16 x the largest
 * eigenvalue per unit of conditioning for their zero eigenvalues.
 */
export const PSD_TOLERANCE = 1e-9;

/** Throws InvalidArgumentError naming `field` when the symmetric eigenvalues hold one clearly below zero. */
function requirePsd(field: string, values: readonly number[]): void {
  let largest = 0;
  for (const l of values) largest = Math.max(largest, Math.abs(l));
  const lowest = Math.min(...values);
  if (lowest < -PSD_TOLERANCE * largest) {
    throw new InvalidArgumentError(
      field,
      `a matrix with eigenvalue ${lowest.toPrecision(4)}`,
      `expected a covariance (symmetric positive semi-definite: eigenvalues >= 0, here below -${PSD_TOLERANCE} x the largest, ${largest.toPrecision(4)})`,
    );
  }
}

/**
 * Frechet distance between Gaussians N(mu1, S1) and N(mu2, S2) (Dowson & Landau 1982; the FID of
 * Heusel et al. 2017): |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^{1/2}), with the details: the
 * last trace is computed stably as Tr((S1^{1/2} S2 S1^{1/2})^{1/2}), which has the same eigenvalues,
 * from symmetric eigendecompositions; eigenvalues below zero from round-off are clamped to zero, a
 * covariance with a clearly negative eigenvalue (not PSD) throws InvalidArgumentError, and a
 * negative total (round-off when the sets nearly coincide) is returned as 0 with `clamped: true`.
 */
export function frechetDistanceDetails(a: FeatureMoments, b: FeatureMoments): FrechetResult {
  const dim = a.dim;
  if (b.dim !== dim) throw new InvalidArgumentError('b.dim', b.dim, `expected ${dim} (a.dim)`);
  for (const [name, m] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (m.mu.length !== dim) throw new InvalidArgumentError(`${name}.mu.length`, m.mu.length, `expected dim = ${dim}`);
    if (m.sigma.length !== dim * dim)
      throw new InvalidArgumentError(`${name}.sigma.length`, m.sigma.length, `expected dim^2 = ${dim * dim}`);
    for (let i = 0; i < dim * dim; i++) {
      if (!Number.isFinite(m.sigma[i]))
        throw new InvalidArgumentError(`${name}.sigma[${i}]`, m.sigma[i], 'expected a finite number');
    }
    for (let i = 0; i < dim; i++) {
      if (!Number.isFinite(m.mu[i]))
        throw new InvalidArgumentError(`${name}.mu[${i}]`, m.mu[i], 'expected a finite number');
    }
  }
  let meanTerm = 0;
  let traceTerm = 0;
  for (let i = 0; i < dim; i++) {
    meanTerm += (a.mu[i] - b.mu[i]) ** 2;
    traceTerm += a.sigma[i * dim + i] + b.sigma[i * dim + i];
  }
  const s2 = toMatrix(b.sigma, dim);
  // S1^{1/2} = V diag(sqrt(lambda)) V^T
  const e1 = symmetricEigen(toMatrix(a.sigma, dim));
  requirePsd('a.sigma', e1.values);
  requirePsd('b.sigma', symmetricEigen(s2).values);
  const sqrtDiag = Matrix.diag(e1.values.map((l) => Math.sqrt(Math.max(l, 0))));
  const sqrtS1 = e1.vectors.mmul(sqrtDiag).mmul(e1.vectors.transpose());
  const inner = sqrtS1.mmul(s2).mmul(sqrtS1);
  const innerSym = inner.add(inner.transpose()).mul(0.5);
  const e2 = symmetricEigen(innerSym);
  let traceSqrt = 0;
  for (const l of e2.values) traceSqrt += Math.sqrt(Math.max(l, 0));
  const raw = meanTerm + traceTerm - 2 * traceSqrt;
  if (!Number.isFinite(raw)) throw new NumericalError('frechetDistance', `the distance came out ${raw}`);
  return { distance: Math.max(raw, 0), raw, clamped: raw < 0 };
}

/**
 * Frechet distance between Gaussians N(mu1, S1) and N(mu2, S2), >= 0: `frechetDistanceDetails`'s
 * distance (a negative round-off total is returned as 0; a non-PSD covariance throws).
 */
export function frechetDistanceFromMoments(a: FeatureMoments, b: FeatureMoments): number {
  return frechetDistanceDetails(a, b).distance;
}

/**
 * Frechet distance between the Gaussians fitted to two feature sets (row-major, `dim` columns, at
 * least 2 rows each; the FID when the features are Inception pool3 activations, Heusel et al. 2017).
 */
export function frechetDistance(featuresA: ArrayLike<number>, featuresB: ArrayLike<number>, dim: number): number {
  return frechetDistanceFromMoments(
    featureMoments(featuresA, dim, 'featuresA'),
    featureMoments(featuresB, dim, 'featuresB'),
  );
}
