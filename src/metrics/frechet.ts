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
  if (n < 2) throw new InvalidArgumentError(`${field}.length`, features.length, `expected at least 2 rows of dim = ${dim} for a covariance`);
  const mu = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j];
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`${field}[${r * dim + j}]`, v, 'expected a finite number');
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

/**
 * Frechet distance between Gaussians N(mu1, S1) and N(mu2, S2) (Dowson & Landau 1982; the FID of
 * Heusel et al. 2017): |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^{1/2}). The last trace is
 * computed stably as Tr((S1^{1/2} S2 S1^{1/2})^{1/2}), which has the same eigenvalues, from two
 * symmetric eigendecompositions; eigenvalues below zero from round-off are clamped to zero.
 */
export function frechetDistanceFromMoments(a: FeatureMoments, b: FeatureMoments): number {
  const dim = a.dim;
  if (b.dim !== dim) throw new InvalidArgumentError('b.dim', b.dim, `expected ${dim} (a.dim)`);
  for (const [name, m] of [['a', a], ['b', b]] as const) {
    if (m.mu.length !== dim) throw new InvalidArgumentError(`${name}.mu.length`, m.mu.length, `expected dim = ${dim}`);
    if (m.sigma.length !== dim * dim) throw new InvalidArgumentError(`${name}.sigma.length`, m.sigma.length, `expected dim^2 = ${dim * dim}`);
    for (let i = 0; i < dim * dim; i++) {
      if (!Number.isFinite(m.sigma[i])) throw new InvalidArgumentError(`${name}.sigma[${i}]`, m.sigma[i], 'expected a finite number');
    }
    for (let i = 0; i < dim; i++) {
      if (!Number.isFinite(m.mu[i])) throw new InvalidArgumentError(`${name}.mu[${i}]`, m.mu[i], 'expected a finite number');
    }
  }
  let meanTerm = 0;
  let traceTerm = 0;
  for (let i = 0; i < dim; i++) {
    meanTerm += (a.mu[i] - b.mu[i]) ** 2;
    traceTerm += a.sigma[i * dim + i] + b.sigma[i * dim + i];
  }
  // S1^{1/2} = V diag(sqrt(lambda)) V^T
  const e1 = symmetricEigen(toMatrix(a.sigma, dim));
  const sqrtDiag = Matrix.diag(e1.values.map((l) => Math.sqrt(Math.max(l, 0))));
  const sqrtS1 = e1.vectors.mmul(sqrtDiag).mmul(e1.vectors.transpose());
  const inner = sqrtS1.mmul(toMatrix(b.sigma, dim)).mmul(sqrtS1);
  const innerSym = inner.add(inner.transpose()).mul(0.5);
  const e2 = symmetricEigen(innerSym);
  let traceSqrt = 0;
  for (const l of e2.values) traceSqrt += Math.sqrt(Math.max(l, 0));
  const d = meanTerm + traceTerm - 2 * traceSqrt;
  if (!Number.isFinite(d)) throw new NumericalError('frechetDistance', `the distance came out ${d}`);
  return d;
}

/**
 * Frechet distance between the Gaussians fitted to two feature sets (row-major, `dim` columns, at
 * least 2 rows each; the FID when the features are Inception pool3 activations, Heusel et al. 2017).
 */
export function frechetDistance(featuresA: ArrayLike<number>, featuresB: ArrayLike<number>, dim: number): number {
  return frechetDistanceFromMoments(featureMoments(featuresA, dim, 'featuresA'), featureMoments(featuresB, dim, 'featuresB'));
}
