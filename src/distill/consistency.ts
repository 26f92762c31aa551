/**
 * Consistency distillation (Song, Dhariwal, Chen, Sutskever 2023, Algorithm 2; LCM, Luo et al. 2023,
 * Algorithm 1 with its skipping-step solver) as a SIMULATION on the toy mixture: the teacher is the
 * mixture's exact probability-flow ODE (one Heun step with the exact denoiser), the student a small
 * consistency function that is linear in its parameters, trained by Adam on the consistency
 * distillation loss against an EMA target network.
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { DenoiserWork } from '../toy/denoiser.js';
import type { GaussianMixture } from '../toy/mixture.js';
import { pfOdeSigmaGrid } from '../toy/pfOde.js';
import { slicedWasserstein2To } from '../toy/wasserstein.js';
import type { Interval } from '../evaluation/bootstrap.js';

/**
 * The boundary-condition scalings of Song et al. (2023, Appendix C), for the VE noise level sigma:
 *   c_skip = sigma_data^2 / ((sigma - sigmaMin)^2 + sigma_data^2),
 *   c_out = (sigma - sigmaMin) sigma_data / sqrt(sigma_data^2 + sigma^2),
 * so f(x, sigmaMin) = c_skip x + c_out F = x exactly, whatever the network F outputs.
 */
export function consistencyScalings(
  sigma: number,
  sigmaMin: number,
  sigmaData: number,
): { cSkip: number; cOut: number } {
  requireFinite('sigma', sigma, 0);
  requireFinite('sigmaMin', sigmaMin, 0);
  requireFinite('sigmaData', sigmaData, Number.MIN_VALUE);
  const dSigma = sigma - sigmaMin;
  return {
    cSkip: (sigmaData * sigmaData) / (dSigma * dSigma + sigmaData * sigmaData),
    cOut: (dSigma * sigmaData) / Math.sqrt(sigmaData * sigmaData + sigma * sigma),
  };
}

/** Options of `distillConsistencyModel`. */
export interface ConsistencyDistillationOptions {
  /** N: noise levels of the Karras grid from sigmaMax down to sigmaMin (default 18, as Song et al. on CIFAR-10). */
  levels?: number;
  /** k: the skipping-step solver's stride; the teacher's ODE step joins levels n + k and n (default 1: adjacent levels, as Song et al.). */
  skip?: number;
  /** Noise range (defaults 0.002 and 80, Song et al. 2023 / Karras et al. 2022). */
  sigmaMin?: number;
  sigmaMax?: number;
  /** Adam iterations (default 600). */
  iterations?: number;
  /** Training pairs per iteration (default 128). */
  batch?: number;
  /** Adam learning rate (default 0.02). */
  learningRate?: number;
  /** mu: EMA decay of the target network theta- <- mu theta- + (1 - mu) theta (default 0.95). */
  emaDecay?: number;
  /** RBF centres per axis of the student's spatial features (default 8). */
  grid?: number;
  /** Noise-level knots of the student's hat functions in log sigma (default 12). */
  knots?: number;
  /** Seed of the data, noise and level draws (default 0): the same seed gives the same student, bit for bit. */
  seed?: number;
  /** Iterations (0 = before training, up to `iterations`) after which to keep a copy of the online student (default none). */
  snapshots?: number[];
}

/** A trained consistency function f_theta(x, sigma) (the online network; the EMA target is kept too). */
export interface ConsistencyStudent {
  readonly dim: number;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  readonly sigmaData: number;
  /** f(x, sigma) for n x d points at one noise level sigma in [sigmaMin, sigmaMax] (VE coordinates). */
  predict(x: ArrayLike<number>, sigma: number): Float32Array;
  /** The same with the EMA target network's parameters. */
  predictTarget(x: ArrayLike<number>, sigma: number): Float32Array;
}

/** What `distillConsistencyModel` returns. */
export interface ConsistencyDistillationResult {
  student: ConsistencyStudent;
  /** The noise levels sigma_N > ... > sigma_1 = sigmaMin the teacher steps between (descending). */
  sigmas: number[];
  skip: number;
  /** Mean CD loss over each block of `lossEvery` iterations, in order. */
  loss: number[];
  lossEvery: number;
  /** Wall-clock training time, ms. */
  trainMs: number;
  /** The online student after each iteration count of `options.snapshots`, in that order. */
  snapshots: { iteration: number; student: ConsistencyStudent }[];
  /** The settings used (defaults filled in). */
  settings: Required<ConsistencyDistillationOptions>;
}

/**
 * Features of the student: hat functions over log sigma (a piecewise-linear interpolation between
 * knots) times [1, u, Gaussian bumps of u], with u = x / sqrt(sigma^2 + sigmaData^2) (EDM's c_in).
 */
class StudentFeatures {
  readonly spatialCount: number;
  readonly count: number;
  private readonly centres: Float64Array;
  private readonly inv2h2: number;
  private readonly logKnots: Float64Array;

  constructor(
    readonly dim: number,
    readonly grid: number,
    readonly knots: number,
    readonly sigmaMin: number,
    readonly sigmaMax: number,
    readonly sigmaData: number,
  ) {
    const extent = 2.5;
    const rbf = grid ** dim;
    this.spatialCount = 1 + dim + rbf;
    this.count = knots * this.spatialCount;
    this.centres = new Float64Array(rbf * dim);
    for (let c = 0; c < rbf; c++) {
      let rest = c;
      for (let j = 0; j < dim; j++) {
        const g = rest % grid;
        rest = Math.floor(rest / grid);
        this.centres[c * dim + j] = grid === 1 ? 0 : -extent + (2 * extent * g) / (grid - 1);
      }
    }
    const h = grid > 1 ? (2 * extent) / (grid - 1) : extent;
    this.inv2h2 = 1 / (2 * h * h);
    this.logKnots = new Float64Array(knots);
    const lo = Math.log(sigmaMin);
    const hi = Math.log(sigmaMax);
    for (let l = 0; l < knots; l++) this.logKnots[l] = knots === 1 ? hi : lo + ((hi - lo) * l) / (knots - 1);
  }

  /** The two knots around sigma and their weights (hat functions), into `at`. */
  level(sigma: number, at: { l0: number; w0: number; l1: number; w1: number }): void {
    const s = Math.log(sigma);
    const K = this.knots;
    if (K === 1 || s <= this.logKnots[0]) {
      at.l0 = 0;
      at.w0 = 1;
      at.l1 = 0;
      at.w1 = 0;
      return;
    }
    if (s >= this.logKnots[K - 1]) {
      at.l0 = K - 1;
      at.w0 = 1;
      at.l1 = K - 1;
      at.w1 = 0;
      return;
    }
    const pos = ((s - this.logKnots[0]) / (this.logKnots[K - 1] - this.logKnots[0])) * (K - 1);
    const l0 = Math.min(K - 2, Math.floor(pos));
    const t = pos - l0;
    at.l0 = l0;
    at.w0 = 1 - t;
    at.l1 = l0 + 1;
    at.w1 = t;
  }

  /** The spatial features of the point at `offset` of x, at noise level sigma, into `out` (spatialCount). */
  spatial(x: ArrayLike<number>, offset: number, sigma: number, out: Float64Array, u: Float64Array): void {
    const d = this.dim;
    const cIn = 1 / Math.sqrt(sigma * sigma + this.sigmaData * this.sigmaData);
    for (let j = 0; j < d; j++) u[j] = x[offset + j] * cIn;
    out[0] = 1;
    for (let j = 0; j < d; j++) out[1 + j] = u[j];
    const rbf = this.spatialCount - 1 - d;
    for (let c = 0; c < rbf; c++) {
      let r2 = 0;
      for (let j = 0; j < d; j++) r2 += (u[j] - this.centres[c * d + j]) ** 2;
      out[1 + d + c] = Math.exp(-r2 * this.inv2h2);
    }
  }
}

/** Evaluates f_theta for one point: c_skip x + c_out F_theta(x, sigma), F linear in the weights. Internal. */
class StudentEval {
  readonly phi: Float64Array;
  readonly u: Float64Array;
  readonly at = { l0: 0, w0: 0, l1: 0, w1: 0 };
  cOut = 0;

  constructor(readonly features: StudentFeatures) {
    this.phi = new Float64Array(features.spatialCount);
    this.u = new Float64Array(features.dim);
  }

  /** Writes f(x_offset, sigma) into out[outOffset..] with weights w (count x d, feature-major); keeps phi, level and c_out for the gradient. */
  eval(
    w: Float64Array,
    x: ArrayLike<number>,
    offset: number,
    sigma: number,
    out: Float64Array | Float32Array,
    outOffset: number,
  ): void {
    const f = this.features;
    const d = f.dim;
    const S = f.spatialCount;
    const { cSkip, cOut } = consistencyScalings(sigma, f.sigmaMin, f.sigmaData);
    this.cOut = cOut;
    f.spatial(x, offset, sigma, this.phi, this.u);
    f.level(sigma, this.at);
    const { l0, w0, l1, w1 } = this.at;
    for (let j = 0; j < d; j++) {
      let F = 0;
      const b0 = l0 * S;
      const b1 = l1 * S;
      for (let i = 0; i < S; i++) {
        F += this.phi[i] * (w0 * w[(b0 + i) * d + j] + (w1 === 0 ? 0 : w1 * w[(b1 + i) * d + j]));
      }
      out[outOffset + j] = cSkip * x[offset + j] + cOut * F;
    }
  }
}

function makeStudent(features: StudentFeatures, online: Float64Array, target: Float64Array): ConsistencyStudent {
  const run = (w: Float64Array, x: ArrayLike<number>, sigma: number): Float32Array => {
    const d = features.dim;
    if (x === null || typeof x !== 'object' || typeof x.length !== 'number' || x.length % d !== 0 || x.length === 0) {
      throw new InvalidArgumentError('x', x?.length, `expected n x ${d} numbers (point-major), n >= 1`);
    }
    requireFinite('sigma', sigma, features.sigmaMin, features.sigmaMax);
    const ev = new StudentEval(features);
    const out = new Float32Array(x.length);
    for (let p = 0; p < x.length / d; p++) ev.eval(w, x, p * d, sigma, out, p * d);
    return out;
  };
  return {
    dim: features.dim,
    sigmaMin: features.sigmaMin,
    sigmaMax: features.sigmaMax,
    sigmaData: features.sigmaData,
    predict: (x, sigma) => run(online, x, sigma),
    predictTarget: (x, sigma) => run(target, x, sigma),
  };
}

/** sqrt of the mixture's mean second moment per axis: EDM's sigma_data for data that is not centred. */
export function mixtureSigmaData(mixture: GaussianMixture): number {
  const v = mixture.axisVariance();
  const m = mixture.mean();
  let s = 0;
  for (let j = 0; j < mixture.dim; j++) s += v[j] + m[j] * m[j];
  return Math.sqrt(s / mixture.dim);
}

/**
 * Trains a consistency model on the toy by consistency distillation (Song et al. 2023, Algorithm 2),
 * a SIMULATION: each iteration draws a batch of data x, a level n (uniform in 1..N-k), noise z, and
 *   x_{n+k} = x + sigma_{n+k} z;
 *   x^_n = one Heun step of the teacher's PF-ODE dx/dsigma = (x - D(x, sigma)) / sigma from sigma_{n+k} to sigma_n
 *          (D the exact denoiser; k > 1 is LCM's skipping-step solver, Luo et al. 2023, sec. 4.3);
 *   loss = mean |f_theta(x_{n+k}, sigma_{n+k}) - f_theta-(x^_n, sigma_n)|^2 (squared L2 distance; theta- held fixed);
 * takes one Adam step on theta (Kingma & Ba 2015) and updates the target theta- <- mu theta- + (1 - mu) theta.
 * f_theta = c_skip x + c_out F_theta (`consistencyScalings`), so f(x, sigmaMin) = x by construction
 * and the boundary anchors the chain of targets. Deterministic by `seed`.
 */
export function distillConsistencyModel(
  mixture: GaussianMixture,
  options: ConsistencyDistillationOptions = {},
): ConsistencyDistillationResult {
  if (mixture === null || typeof mixture !== 'object' || typeof mixture.sample !== 'function') {
    throw new InvalidArgumentError('mixture', mixture, 'a GaussianMixture (e.g. fs.exampleMixture2d())');
  }
  const settings: Required<ConsistencyDistillationOptions> = {
    levels: requireInteger('levels', options.levels ?? 18, 2, 10_000),
    skip: 1,
    sigmaMin: requireFinite('sigmaMin', options.sigmaMin ?? 0.002, Number.MIN_VALUE),
    sigmaMax: 80,
    iterations: requireInteger('iterations', options.iterations ?? 600, 1, 10_000_000),
    batch: requireInteger('batch', options.batch ?? 128, 1, 1_000_000),
    learningRate: requireFinite('learningRate', options.learningRate ?? 0.02, Number.MIN_VALUE, 10),
    emaDecay: requireFinite('emaDecay', options.emaDecay ?? 0.95, 0, 1),
    grid: requireInteger('grid', options.grid ?? 8, 1, 24),
    knots: requireInteger('knots', options.knots ?? 12, 1, 1000),
    seed: requireInteger('seed', options.seed ?? 0, 0),
    snapshots: [],
  };
  if (options.snapshots !== undefined && !Array.isArray(options.snapshots))
    throw new InvalidArgumentError('snapshots', options.snapshots, 'an array of iteration counts');
  settings.snapshots = (options.snapshots ?? []).map((v, i) =>
    requireInteger(`snapshots[${i}]`, v, 0, settings.iterations),
  );
  settings.sigmaMax = requireFinite('sigmaMax', options.sigmaMax ?? 80, settings.sigmaMin * (1 + 1e-9));
  if (settings.sigmaMax <= settings.sigmaMin)
    throw new InvalidArgumentError('sigmaMax', settings.sigmaMax, `expected > sigmaMin = ${settings.sigmaMin}`);
  settings.skip = requireInteger('skip', options.skip ?? 1, 1, settings.levels - 1);
  if (settings.emaDecay >= 1) throw new InvalidArgumentError('emaDecay', settings.emaDecay, 'expected in [0, 1)');
  const d = mixture.dim;
  if (settings.grid ** d > 4096)
    throw new InvalidArgumentError('grid', settings.grid, `expected grid^dim <= 4096 (dim = ${d})`);

  const { levels: N, skip: k, iterations, batch, learningRate, emaDecay } = settings;
  // Karras grid, descending: sigmas[0] = sigmaMax ... sigmas[N-1] = sigmaMin.
  const sigmas = Array.from(pfOdeSigmaGrid(settings.sigmaMax, settings.sigmaMin, N - 1, 7));
  const sigmaData = mixtureSigmaData(mixture);
  const features = new StudentFeatures(
    d,
    settings.grid,
    settings.knots,
    settings.sigmaMin,
    settings.sigmaMax,
    sigmaData,
  );
  const P = features.count * d;
  const theta = new Float64Array(P);
  const thetaMinus = new Float64Array(P);
  const grad = new Float64Array(P);
  const m1 = new Float64Array(P);
  const m2 = new Float64Array(P);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const adamEps = 1e-8;

  const rng = new Rng(settings.seed);
  const online = new StudentEval(features);
  const target = new StudentEval(features);
  const work = new DenoiserWork(mixture);
  const xNext = new Float64Array(d);
  const xHat = new Float64Array(d);
  const xEuler = new Float64Array(d);
  const d0 = new Float64Array(d);
  const fOnline = new Float64Array(d);
  const fTarget = new Float64Array(d);
  const S = features.spatialCount;
  const lossEvery = Math.max(1, Math.round(iterations / 30));
  const loss: number[] = [];
  let blockLoss = 0;
  let blockCount = 0;
  const snapshots: { iteration: number; student: ConsistencyStudent }[] = [];
  const keep = (done: number) => {
    for (const at of settings.snapshots)
      if (at === done)
        snapshots.push({ iteration: at, student: makeStudent(features, theta.slice(), thetaMinus.slice()) });
  };
  const t0 = Date.now();
  keep(0);

  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    let batchLoss = 0;
    const x0 = mixture.sample(batch, rng);
    for (let b = 0; b < batch; b++) {
      // Level pair (n + k, n) in ascending-noise indexing; in the descending array: hi = sigmas[i], lo = sigmas[i + k].
      const i = Math.min(N - 1 - k, Math.floor(rng.uniform1() * (N - k)));
      const sigmaHi = sigmas[i];
      const sigmaLo = sigmas[i + k];
      for (let j = 0; j < d; j++) xNext[j] = x0[b * d + j] + sigmaHi * rng.normal1();
      // The teacher: one Heun step of the PF-ODE from sigmaHi to sigmaLo with the exact denoiser.
      const h = sigmaLo - sigmaHi;
      work.denoisePoint(xNext, 0, sigmaHi);
      for (let j = 0; j < d; j++) {
        d0[j] = (xNext[j] - work.result[j]) / sigmaHi;
        xEuler[j] = xNext[j] + h * d0[j];
      }
      work.denoisePoint(xEuler, 0, sigmaLo);
      for (let j = 0; j < d; j++) xHat[j] = xNext[j] + 0.5 * h * (d0[j] + (xEuler[j] - work.result[j]) / sigmaLo);
      online.eval(theta, xNext, 0, sigmaHi, fOnline, 0);
      target.eval(thetaMinus, xHat, 0, sigmaLo, fTarget, 0);
      const { l0, w0, l1, w1 } = online.at;
      for (let j = 0; j < d; j++) {
        const r = fOnline[j] - fTarget[j];
        batchLoss += r * r;
        const g = (2 / batch) * r * online.cOut;
        for (let q = 0; q < S; q++) {
          const gp = g * online.phi[q];
          grad[(l0 * S + q) * d + j] += w0 * gp;
          if (w1 !== 0) grad[(l1 * S + q) * d + j] += w1 * gp;
        }
      }
    }
    // Adam on theta, then the EMA target.
    const bc1 = 1 - beta1 ** (it + 1);
    const bc2 = 1 - beta2 ** (it + 1);
    for (let p = 0; p < P; p++) {
      const g = grad[p];
      if (g === 0 && m1[p] === 0) {
        thetaMinus[p] = emaDecay * thetaMinus[p] + (1 - emaDecay) * theta[p];
        continue;
      }
      m1[p] = beta1 * m1[p] + (1 - beta1) * g;
      m2[p] = beta2 * m2[p] + (1 - beta2) * g * g;
      theta[p] -= (learningRate * (m1[p] / bc1)) / (Math.sqrt(m2[p] / bc2) + adamEps);
      thetaMinus[p] = emaDecay * thetaMinus[p] + (1 - emaDecay) * theta[p];
    }
    blockLoss += batchLoss / batch;
    blockCount++;
    if (blockCount === lossEvery || it === iterations - 1) {
      loss.push(blockLoss / blockCount);
      blockLoss = 0;
      blockCount = 0;
    }
    keep(it + 1);
  }
  snapshots.sort((a, b) => settings.snapshots.indexOf(a.iteration) - settings.snapshots.indexOf(b.iteration));
  return {
    student: makeStudent(features, theta, thetaMinus),
    sigmas,
    skip: k,
    loss,
    lossEvery,
    trainMs: Date.now() - t0,
    snapshots,
    settings,
  };
}

/**
 * Multistep consistency sampling (Song et al. 2023, Algorithm 1) with a trained student: x = f(sigmaMax z, sigmaMax),
 * then for each later level tau: x = f(x + sqrt(tau^2 - sigmaMin^2) z', tau). `noise` is n x d unit noise;
 * `levels` the noise levels after the first jump (descending, in (sigmaMin, sigmaMax)); `rng` draws z'.
 */
export function sampleConsistencyStudent(
  student: ConsistencyStudent,
  noise: Float32Array,
  levels: readonly number[] = [],
  rng?: Rng,
): Float32Array {
  if (!(noise instanceof Float32Array) || noise.length === 0 || noise.length % student.dim !== 0) {
    throw new InvalidArgumentError(
      'noise',
      noise?.length,
      `expected a Float32Array of n x ${student.dim} unit normals`,
    );
  }
  if (!Array.isArray(levels)) throw new InvalidArgumentError('levels', levels, 'an array of noise levels');
  let prev = student.sigmaMax;
  levels.forEach((tau, i) => {
    requireFinite(`levels[${i}]`, tau, student.sigmaMin, prev);
    prev = tau;
  });
  if (levels.length > 0 && rng === undefined)
    throw new InvalidArgumentError('rng', rng, 'an Rng for the re-noising of multistep sampling');
  let x = student.predict(
    noise.map((z) => student.sigmaMax * z),
    student.sigmaMax,
  );
  for (const tau of levels) {
    const z = (rng as Rng).normal(x.length);
    const scale = Math.sqrt(tau * tau - student.sigmaMin * student.sigmaMin);
    x = student.predict(
      x.map((v, i) => v + scale * z[i]),
      tau,
    );
  }
  return x;
}

/**
 * Deterministic DDIM on the toy in VE coordinates with the exact denoiser: DDIM (eta = 0) is Euler's
 * method on dx/dsigma = (x - D(x, sigma)) / sigma (Karras et al. 2022, sec. 3 and Table 1), here
 * through the first `steps` levels of the Karras grid of `steps` intervals from sigmaMax to sigmaMin,
 * then to 0 (like diffusers' "trailing" spacing, the last step lands on the clean end); one step
 * gives D(sigmaMax z, sigmaMax). `noise` is n x d unit noise.
 */
export function sampleToyDdimVE(
  mixture: GaussianMixture,
  noise: Float32Array,
  steps: number,
  sigmaMax = 80,
  sigmaMin = 0.002,
): Float32Array {
  requireInteger('steps', steps, 1, 10_000);
  const n = mixture.pointCount('noise', noise);
  const d = mixture.dim;
  const sig = [...Array.from(pfOdeSigmaGrid(sigmaMax, sigmaMin, steps, 7)).slice(0, steps), 0];
  const x = Float64Array.from(noise, (z) => sigmaMax * z);
  const work = new DenoiserWork(mixture);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < steps; i++) {
      work.denoisePoint(x, p * d, sig[i]);
      for (let j = 0; j < d; j++) {
        const dx = (x[p * d + j] - work.result[j]) / sig[i];
        x[p * d + j] += (sig[i + 1] - sig[i]) * dx;
      }
    }
  }
  return Float32Array.from(x);
}

/** A median with the range of the values as its interval (see `rangeInterval`). */
export interface RangeInterval extends Interval {
  /** The values (one per seed), in the order given. */
  values: number[];
}

/**
 * The median of n >= 2 independent values (e.g. one distance per evaluation seed) with the lowest
 * to highest value as its interval: a distribution-free confidence interval for the median of the
 * values' distribution, of coverage 1 - 2^(1-n) (the chance that not all n fall on one side of the
 * median; 6 values: 96.9%).
 */
export function rangeInterval(values: readonly number[]): RangeInterval {
  if (!Array.isArray(values) || values.length < 2)
    throw new InvalidArgumentError('values', values, 'at least 2 values (one per seed)');
  values.forEach((v, i) => requireFinite(`values[${i}]`, v));
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { value: median, low: sorted[0], high: sorted[n - 1], level: 1 - 2 ** (1 - n), values: [...values] };
}

/** Options of `compareConsistencyStudent`. */
export interface ConsistencyComparisonOptions {
  /** Points per sample (default 2000). */
  points?: number;
  /** Evaluation noise seeds (default 7..12: six seeds, intervals of coverage 96.9%). */
  seeds?: number[];
  /** Reference sample of the true distribution (default: 5000 points, seed 1). */
  truth?: Float32Array;
  /** Directions of the sliced Wasserstein-2 distance (default 64, seed 0: the same directions for every method). */
  projections?: number;
  /** Noise level of the second jump of the 2-step student (default 0.8); null: no 2-step row. */
  tau?: number | null;
  /** Step counts of the exact-denoiser DDIM rows (default [1, 2, 8]). */
  ddimSteps?: number[];
}

/** One row of `compareConsistencyStudent`: sliced W2 to the truth, median over seeds with its range. */
export interface ConsistencyComparisonRow {
  method: string;
  steps: number;
  distance: RangeInterval;
}

/**
 * Samples the student (1 step, and 2 steps via `sampleConsistencyStudent` with one re-noising to `tau`) and
 * exact-denoiser DDIM (`sampleToyDdimVE`) from the same unit noise per seed, and measures the sliced
 * Wasserstein-2 distance of each sample to `truth`; plus the sampling floor (fresh true samples of
 * the same size, seeds 101, 102, ...). Each row: median over the seeds with the range as interval.
 */
export function compareConsistencyStudent(
  mixture: GaussianMixture,
  student: ConsistencyStudent,
  options: ConsistencyComparisonOptions = {},
): { rows: ConsistencyComparisonRow[]; floor: RangeInterval } {
  const points = requireInteger('points', options.points ?? 2000, 2, 1_000_000);
  const seeds = options.seeds ?? [7, 8, 9, 10, 11, 12];
  if (!Array.isArray(seeds) || seeds.length < 2)
    throw new InvalidArgumentError('seeds', seeds, 'at least 2 integer seeds');
  seeds.forEach((s, i) => requireInteger(`seeds[${i}]`, s, 0));
  const projections = requireInteger('projections', options.projections ?? 64, 1, 100_000);
  const tau =
    options.tau === null ? null : requireFinite('tau', options.tau ?? 0.8, student.sigmaMin, student.sigmaMax);
  const ddimSteps = options.ddimSteps ?? [1, 2, 8];
  if (!Array.isArray(ddimSteps)) throw new InvalidArgumentError('ddimSteps', ddimSteps, 'an array of step counts');
  ddimSteps.forEach((s, i) => requireInteger(`ddimSteps[${i}]`, s, 1, 10_000));
  const truth = options.truth ?? mixture.sample(5000, new Rng(1));
  const d = mixture.dim;
  const distance = slicedWasserstein2To(truth, d, { projections, seed: 0 });
  const noises = seeds.map((s) => new Rng(s).normal(points * d));
  const row = (method: string, steps: number, sample: (z: Float32Array, i: number) => Float32Array) => ({
    method,
    steps,
    distance: rangeInterval(noises.map((z, i) => distance(sample(z, i)))),
  });
  const rows: ConsistencyComparisonRow[] = [
    row('consistency student', 1, (z) => sampleConsistencyStudent(student, z)),
    ...(tau === null
      ? []
      : [
          row('consistency student', 2, (z, i) =>
            sampleConsistencyStudent(student, z, [tau], new Rng(1000 + seeds[i])),
          ),
        ]),
    ...ddimSteps.map((steps) =>
      row('DDIM (exact denoiser)', steps, (z) =>
        sampleToyDdimVE(mixture, z, steps, student.sigmaMax, student.sigmaMin),
      ),
    ),
  ];
  const floor = rangeInterval(seeds.map((_, i) => distance(mixture.sample(points, new Rng(101 + i)))));
  return { rows, floor };
}
