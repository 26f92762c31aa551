/**
 * The cheap function approximator that plays the student network in the progressive-distillation
 * simulation: ridge regression on an affine part plus Gaussian radial basis functions.
 */
import { InvalidArgumentError, NumericalError, requireFinite, requireInteger } from '../core/errors.js';

/** Options of `fitRbfRegression`. */
export interface RbfRegressionOptions {
  /** RBF centres per input axis, on a regular grid (default 8; 0 fits a purely affine model). */
  grid?: number;
  /** Ridge penalty lambda on the RBF weights (default 1e-4; the affine part is not penalised). */
  ridge?: number;
  /** Half-width of the centre grid, in standard deviations of the inputs (default 2.5). */
  extent?: number;
}

/** A fitted regression y ~ f(x), x in R^dimIn, y in R^dimOut. */
export interface RbfRegression {
  readonly dimIn: number;
  readonly dimOut: number;
  /** Number of features: 1 + dimIn + grid^dimIn. */
  readonly featureCount: number;
  /** Weights, featureCount x dimOut, feature-major. */
  readonly weights: Float64Array;
  /** Root-mean-square residual on the training data (over all points and outputs). */
  readonly trainRmse: number;
  /** f(x) for n x dimIn points (point-major); returns n x dimOut. */
  predict(x: ArrayLike<number>): Float32Array;
}

const MAX_RBF = 4096;

/**
 * Fits y ~ w0 + W1 u + sum_k w_k exp(-|u - c_k|^2 / (2 h^2)) by ridge regression, where
 * u = (x - mean) / std are the standardised inputs, the centres c_k lie on a regular grid of `grid`
 * points per axis over [-extent, extent] and h is the grid spacing. It minimises
 * (1/n) sum_i |y_i - w . phi(x_i)|^2 + lambda |w_rbf|^2, solved in closed form from the normal
 * equations (Hastie, Tibshirani, Friedman, ESL 2009, eq. 3.44, with basis expansions as in sec. 5.1)
 * by a Cholesky factorisation. With grid = 0 it is ordinary least squares on an affine model, so an
 * exactly affine relation is recovered exactly.
 * `x` is n x dimIn and `y` n x dimOut, point-major.
 */
export function fitRbfRegression(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  dimIn: number,
  dimOut: number,
  options: RbfRegressionOptions = {},
): RbfRegression {
  requireInteger('dimIn', dimIn, 1, 8);
  requireInteger('dimOut', dimOut, 1, 64);
  const grid = requireInteger('grid', options.grid ?? 8, 0, 64);
  const ridge = requireFinite('ridge', options.ridge ?? 1e-4, 0);
  const extent = requireFinite('extent', options.extent ?? 2.5, Number.MIN_VALUE);
  const rbfCount = grid === 0 ? 0 : grid ** dimIn;
  if (rbfCount > MAX_RBF)
    throw new InvalidArgumentError('grid', grid, `expected grid^dimIn <= ${MAX_RBF} (dimIn = ${dimIn})`);
  const n = checkPoints('x', x, dimIn);
  const ny = checkPoints('y', y, dimOut);
  if (ny !== n)
    throw new InvalidArgumentError(
      'y.length',
      y.length,
      `expected ${n} x ${dimOut} values (one target per point of x)`,
    );

  // Standardisation of the inputs (an axis with no spread keeps scale 1).
  const mean = new Float64Array(dimIn);
  const std = new Float64Array(dimIn);
  for (let i = 0; i < n; i++) for (let j = 0; j < dimIn; j++) mean[j] += x[i * dimIn + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dimIn; j++) std[j] += (x[i * dimIn + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < dimIn; j++) std[j] = std[j] > 0 ? Math.sqrt(std[j]) : 1;
  const centres = centreGrid(grid, dimIn, extent);
  const h = grid > 1 ? (2 * extent) / (grid - 1) : extent;
  const features = new Features(dimIn, mean, std, centres, rbfCount, h);
  const p = features.count;

  // Normal equations A w = b with A = Phi^T Phi / n + lambda D, b = Phi^T y / n.
  const A = new Float64Array(p * p);
  const b = new Float64Array(p * dimOut);
  const phi = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    features.of(x, i, phi);
    for (let r = 0; r < p; r++) {
      const pr = phi[r] / n;
      if (pr === 0) continue;
      for (let c = r; c < p; c++) A[r * p + c] += pr * phi[c];
      for (let o = 0; o < dimOut; o++) b[r * dimOut + o] += pr * y[i * dimOut + o];
    }
  }
  for (let r = 0; r < p; r++) for (let c = 0; c < r; c++) A[r * p + c] = A[c * p + r];
  const affine = 1 + dimIn;
  for (let r = affine; r < p; r++) A[r * p + r] += ridge;
  const weights = choleskySolve(A, b, p, dimOut);

  let sse = 0;
  for (let i = 0; i < n; i++) {
    features.of(x, i, phi);
    for (let o = 0; o < dimOut; o++) {
      let s = 0;
      for (let r = 0; r < p; r++) s += phi[r] * weights[r * dimOut + o];
      sse += (s - y[i * dimOut + o]) ** 2;
    }
  }
  const trainRmse = Math.sqrt(sse / (n * dimOut));

  return {
    dimIn,
    dimOut,
    featureCount: p,
    weights,
    trainRmse,
    predict(points: ArrayLike<number>): Float32Array {
      const m = checkPoints('x', points, dimIn);
      const out = new Float32Array(m * dimOut);
      const f = new Float64Array(p);
      for (let i = 0; i < m; i++) {
        features.of(points, i, f);
        for (let o = 0; o < dimOut; o++) {
          let s = 0;
          for (let r = 0; r < p; r++) s += f[r] * weights[r * dimOut + o];
          out[i * dimOut + o] = s;
        }
      }
      return out;
    },
  };
}

/** phi(x) = [1, u, exp(-|u - c_k|^2 / (2 h^2))_k] with u the standardised x. */
class Features {
  readonly count: number;
  private readonly u: Float64Array;
  constructor(
    private readonly dimIn: number,
    private readonly mean: Float64Array,
    private readonly std: Float64Array,
    private readonly centres: Float64Array,
    private readonly rbfCount: number,
    h: number,
  ) {
    this.count = 1 + dimIn + rbfCount;
    this.u = new Float64Array(dimIn);
    this.inv2h2 = 1 / (2 * h * h);
  }
  private readonly inv2h2: number;

  of(x: ArrayLike<number>, i: number, out: Float64Array): void {
    const d = this.dimIn;
    out[0] = 1;
    for (let j = 0; j < d; j++) {
      this.u[j] = (x[i * d + j] - this.mean[j]) / this.std[j];
      out[1 + j] = this.u[j];
    }
    for (let k = 0; k < this.rbfCount; k++) {
      let r2 = 0;
      for (let j = 0; j < d; j++) r2 += (this.u[j] - this.centres[k * d + j]) ** 2;
      out[1 + d + k] = Math.exp(-r2 * this.inv2h2);
    }
  }
}

/** grid^d centres on [-extent, extent]^d (one centre at 0 when grid = 1), centre-major. */
function centreGrid(grid: number, d: number, extent: number): Float64Array {
  if (grid === 0) return new Float64Array(0);
  const count = grid ** d;
  const out = new Float64Array(count * d);
  const coord = (g: number) => (grid === 1 ? 0 : -extent + (2 * extent * g) / (grid - 1));
  for (let k = 0; k < count; k++) {
    let rest = k;
    for (let j = 0; j < d; j++) {
      out[k * d + j] = coord(rest % grid);
      rest = Math.floor(rest / grid);
    }
  }
  return out;
}

/** Solves A W = B for symmetric positive definite A (p x p) and B (p x m) by Cholesky, A = L L^T. */
function choleskySolve(A: Float64Array, B: Float64Array, p: number, m: number): Float64Array {
  const L = new Float64Array(p * p);
  let trace = 0;
  for (let r = 0; r < p; r++) trace += A[r * p + r];
  const jitter = 1e-12 * (trace / p || 1);
  for (let r = 0; r < p; r++) {
    for (let c = 0; c <= r; c++) {
      let s = A[r * p + c] + (r === c ? jitter : 0);
      for (let k = 0; k < c; k++) s -= L[r * p + k] * L[c * p + k];
      if (r === c) {
        if (!(s > 0)) {
          throw new NumericalError(
            'fitRbfRegression',
            `the normal equations are singular at feature ${r} (pivot ${s}); use more distinct points, a larger ridge, or a smaller grid`,
          );
        }
        L[r * p + r] = Math.sqrt(s);
      } else {
        L[r * p + c] = s / L[c * p + c];
      }
    }
  }
  const W = new Float64Array(p * m);
  for (let o = 0; o < m; o++) {
    const z = new Float64Array(p);
    for (let r = 0; r < p; r++) {
      let s = B[r * m + o];
      for (let k = 0; k < r; k++) s -= L[r * p + k] * z[k];
      z[r] = s / L[r * p + r];
    }
    for (let r = p - 1; r >= 0; r--) {
      let s = z[r];
      for (let k = r + 1; k < p; k++) s -= L[k * p + r] * W[k * m + o];
      W[r * m + o] = s / L[r * p + r];
    }
  }
  return W;
}

/** Checks a non-empty point-major array of finite numbers, n x dim, and returns n. */
function checkPoints(field: string, a: ArrayLike<number>, dim: number): number {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number' || a.length === 0) {
    throw new InvalidArgumentError(field, a, `expected a non-empty array of n x ${dim} finite numbers`);
  }
  if (a.length % dim !== 0)
    throw new InvalidArgumentError(
      `${field}.length`,
      a.length,
      `expected a multiple of ${dim} (n points x ${dim}, point-major)`,
    );
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InvalidArgumentError(`${field}[${i}]`, a[i], 'expected a finite number');
  }
  return a.length / dim;
}
