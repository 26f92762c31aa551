import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { DenoiserWork } from './denoiser.js';
import type { GaussianMixture } from './mixture.js';

/** Where and how finely to integrate the probability-flow ODE. */
export interface PfOdeOptions {
  /** Noise level where the path starts (x_T lives at this sigma). */
  sigmaMax: number;
  /** Noise level where the path ends (> 0). */
  sigmaMin: number;
  /** Number of Heun steps (each costs two denoiser calls). */
  steps: number;
  /** Karras grid exponent rho (default 7): larger puts more steps at small sigma. */
  rho?: number;
}

/** A PF-ODE path: `points[i]` (n x d, point-major) is the state at noise level `sigmas[i]`. */
export interface PfOdeTrajectory {
  /** steps + 1 noise levels, decreasing from sigmaMax to sigmaMin. */
  sigmas: Float64Array;
  points: Float32Array[];
}

/**
 * The Karras et al. 2022 noise grid (eq. 5): sigma_i = (sigmaMax^(1/rho) + i/N (sigmaMin^(1/rho) -
 * sigmaMax^(1/rho)))^rho for i = 0..N, from sigmaMax down to sigmaMin (N + 1 values).
 */
export function pfOdeSigmaGrid(sigmaMax: number, sigmaMin: number, steps: number, rho = 7): Float64Array {
  requireFinite('sigmaMin', sigmaMin, Number.MIN_VALUE);
  requireFinite('sigmaMax', sigmaMax, 0);
  if (!(sigmaMax > sigmaMin))
    throw new InvalidArgumentError('sigmaMax', sigmaMax, `expected a finite number > sigmaMin (${sigmaMin})`);
  requireInteger('steps', steps, 1, 1_000_000);
  requireFinite('rho', rho, Number.MIN_VALUE);
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  const out = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) out[i] = (a + (i / steps) * (b - a)) ** rho;
  out[0] = sigmaMax;
  out[steps] = sigmaMin;
  return out;
}

/**
 * Integrates the probability-flow ODE of the mixture (Song et al. 2021, eq. 13, written in the VE /
 * Karras form dx/dsigma = (x - D(x, sigma)) / sigma, Karras et al. 2022, eq. 4 with s(t) = 1,
 * sigma(t) = t) from sigmaMax down to sigmaMin with Heun's second-order method (Karras et al. 2022,
 * Algorithm 1) on the Karras grid, using the exact denoiser D. `xT` (n x d) is the state at
 * sigmaMax in VE coordinates (data + sigmaMax * noise). Returns every grid point.
 */
export function pfOdeTrajectory(
  mixture: GaussianMixture,
  xT: Float32Array | Float64Array,
  options: PfOdeOptions,
): PfOdeTrajectory {
  const n = mixture.pointCount('xT', xT);
  const sigmas = pfOdeSigmaGrid(options?.sigmaMax, options?.sigmaMin, options?.steps, options?.rho ?? 7);
  const d = mixture.dim;
  const x = Float64Array.from(xT);
  const points: Float32Array[] = [Float32Array.from(x)];
  const heun = new HeunStepper(mixture);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    for (let p = 0; p < n; p++) heun.step(x, p * d, sigmas[i], sigmas[i + 1]);
    points.push(Float32Array.from(x));
  }
  return { sigmas, points };
}

/** Options of `consistencyMap`: the end of the path and how finely to integrate it. */
export interface ConsistencyMapOptions {
  /** Noise level where the path ends, the consistency model's epsilon (default 0.002, as in Song et al. 2023). */
  sigmaMin?: number;
  /** Heun steps from sigma down to sigmaMin (default 96). */
  steps?: number;
  /** Karras grid exponent (default 7). */
  rho?: number;
}

/**
 * The consistency function f(x, sigma) of the mixture (Song et al. 2023, "Consistency Models", sec. 3):
 * the end point, at sigmaMin, of the PF-ODE trajectory through (x, sigma), found by integrating the
 * ODE from sigma down to sigmaMin (Heun, Karras grid). Every point of one trajectory maps to the same
 * end point - the self-consistency property f(x_sigma, sigma) = f(x_sigma', sigma') - and
 * f(x, sigmaMin) = x (the boundary condition). `x` is n x d in VE coordinates.
 */
export function consistencyMap(
  mixture: GaussianMixture,
  x: Float32Array | Float64Array,
  sigma: number,
  options: ConsistencyMapOptions = {},
): Float32Array {
  const n = mixture.pointCount('x', x);
  const sigmaMin = requireFinite('sigmaMin', options.sigmaMin ?? 0.002, Number.MIN_VALUE);
  requireFinite('sigma', sigma, 0);
  const steps = requireInteger('steps', options.steps ?? 96, 1, 1_000_000);
  const rho = requireFinite('rho', options.rho ?? 7, Number.MIN_VALUE);
  if (sigma <= sigmaMin) return Float32Array.from(x);
  const sigmas = pfOdeSigmaGrid(sigma, sigmaMin, steps, rho);
  const d = mixture.dim;
  const state = Float64Array.from(x);
  const heun = new HeunStepper(mixture);
  // Point by point: the path of one point does not depend on the others.
  for (let p = 0; p < n; p++) {
    for (let i = 0; i + 1 < sigmas.length; i++) heun.step(state, p * d, sigmas[i], sigmas[i + 1]);
  }
  return Float32Array.from(state);
}

/** One Heun step of dx/dsigma = (x - D(x, sigma)) / sigma for one point, in place. Internal. */
class HeunStepper {
  private readonly work: DenoiserWork;
  private readonly d0: Float64Array;
  private readonly xEuler: Float64Array;

  constructor(mixture: GaussianMixture) {
    this.work = new DenoiserWork(mixture);
    this.d0 = new Float64Array(mixture.dim);
    this.xEuler = new Float64Array(mixture.dim);
  }

  step(x: Float64Array, offset: number, sigmaCur: number, sigmaNext: number): void {
    const dim = this.d0.length;
    const h = sigmaNext - sigmaCur;
    this.work.denoisePoint(x, offset, sigmaCur);
    for (let j = 0; j < dim; j++) {
      this.d0[j] = (x[offset + j] - this.work.result[j]) / sigmaCur;
      this.xEuler[j] = x[offset + j] + h * this.d0[j];
    }
    if (sigmaNext === 0) {
      for (let j = 0; j < dim; j++) x[offset + j] = this.xEuler[j];
      return;
    }
    this.work.denoisePoint(this.xEuler, 0, sigmaNext);
    for (let j = 0; j < dim; j++) {
      const d1 = (this.xEuler[j] - this.work.result[j]) / sigmaNext;
      x[offset + j] += h * 0.5 * (this.d0[j] + d1);
    }
  }
}
