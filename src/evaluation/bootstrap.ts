/**
 * Uncertainty of measured quality: bootstrap confidence intervals (Efron 1979; percentile intervals,
 * Efron & Tibshirani 1993, ch. 13) by resampling images (rows of per-image values or of evaluator
 * features, never regenerating images), with a seeded RNG so that an interval is reproducible.
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { featureMoments, frechetDistanceFromMoments, type FeatureMoments } from '../metrics/frechet.js';
import { symmetricEigenvalues } from './eigenvalues.js';

/** A point estimate with a confidence interval. */
export interface Interval {
  /** The estimate on all the data. */
  value: number;
  low: number;
  high: number;
  /** Nominal coverage, e.g. 0.95. */
  level: number;
}

/** Options of the bootstrap functions. */
export interface BootstrapOptions {
  /** Bootstrap resamples (default 40 for the Frechet distance, 1000 for means). */
  reps?: number;
  /** Nominal coverage of the interval (default 0.95). */
  level?: number;
  /** Seed of the resampling (src/core/rng's Rng; default 0). */
  seed?: number;
}

/** Quantile of sorted values with linear interpolation between order statistics (type 7, as numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new InvalidArgumentError('sorted', n, 'at least one value');
  requireFinite('q', q, 0, 1);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function options(o: BootstrapOptions, defaultReps: number): { reps: number; level: number; rng: Rng } {
  const reps = requireInteger('reps', o.reps ?? defaultReps, 10, 1_000_000);
  const level = requireFinite('level', o.level ?? 0.95, 0.5, 0.999);
  return { reps, level, rng: new Rng(requireInteger('seed', o.seed ?? 0, 0)) };
}

/** n indices drawn uniformly with replacement from 0..n-1. */
function resampleIndices(rng: Rng, n: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = Math.min(n - 1, Math.floor(rng.uniform1() * n));
  return idx;
}

/**
 * Percentile interval of `stats` (bootstrap replicates) around `value`, recentred on `value`: the
 * replicates are shifted by their mean's distance from `value` (the bootstrap's estimate of the
 * estimator's bias). For a mean that shift is ~0; for the Frechet distance, whose plug-in estimate
 * is biased upward at small n (and more so on a resample with repeated rows), it keeps the interval
 * around the reported value, so it says how much the estimate varies with the images drawn.
 */
function percentileInterval(value: number, stats: Float64Array, level: number): Interval {
  let mean = 0;
  for (const s of stats) mean += s;
  mean /= stats.length;
  const shift = mean - value;
  const sorted = Float64Array.from(stats).sort();
  const a = (1 - level) / 2;
  return { value, low: quantileSorted(sorted, a) - shift, high: quantileSorted(sorted, 1 - a) - shift, level };
}

/**
 * Bootstrap percentile interval of the mean of `values` (e.g. per-image adherence or PSNR):
 * `reps` resamples of n values drawn with replacement.
 */
export function bootstrapMean(values: ArrayLike<number>, o: BootstrapOptions = {}): Interval {
  const n = values?.length;
  if (typeof n !== 'number' || n < 2) throw new InvalidArgumentError('values', n, 'at least 2 values');
  for (let i = 0; i < n; i++) requireFinite(`values[${i}]`, values[i]);
  const { reps, level, rng } = options(o, 1000);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const stats = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    let s = 0;
    const idx = resampleIndices(rng, n);
    for (let i = 0; i < n; i++) s += values[idx[i]];
    stats[r] = s / n;
  }
  return percentileInterval(sum / n, stats, level);
}

/** Standard normal CDF (Abramowitz & Stegun 26.2.17 via erfc 7.1.26, absolute error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** z with normalCdf(z) = p (bisection; |error| < 1e-9 in z). */
export function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  while (hi - lo > 1e-9) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Normal interval from the bootstrap standard error (Efron & Tibshirani 1993, ch. 6 and 13.3):
 * value +- z sd(replicates). It needs far fewer replicates than a percentile interval (25-50 give a
 * usable standard error), which matters where one replicate costs an eigenvalue computation.
 */
function standardErrorInterval(value: number, stats: Float64Array, level: number): Interval {
  let mean = 0;
  for (const v of stats) mean += v;
  mean /= stats.length;
  let ss = 0;
  for (const v of stats) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / (stats.length - 1));
  const z = normalQuantile(1 - (1 - level) / 2);
  return { value, low: value - z * sd, high: value + z * sd, level };
}

/** Covariance (n - 1 denominator) of the rows `idx` of row-major `x` (n x dim); also returns the centred rows. */
function resampledMoments(
  x: ArrayLike<number>,
  dim: number,
  idx: Int32Array,
): { mean: Float64Array; centred: Float64Array } {
  const n = idx.length;
  const mean = new Float64Array(dim);
  for (const r of idx) for (let j = 0; j < dim; j++) mean[j] += x[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const centred = new Float64Array(n * dim);
  idx.forEach((r, k) => {
    for (let j = 0; j < dim; j++) centred[k * dim + j] = x[r * dim + j] - mean[j];
  });
  return { mean, centred };
}

/** A^T A / (n - 1) of an n x dim row-major matrix (symmetric dim x dim). */
function gram(a: Float64Array, n: number, dim: number): Float64Array {
  const g = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++) {
    const row = r * dim;
    for (let i = 0; i < dim; i++) {
      const ai = a[row + i];
      if (ai === 0) continue;
      const gi = i * dim;
      for (let j = i; j < dim; j++) g[gi + j] += ai * a[row + j];
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = g[i * dim + j] / (n - 1);
      g[i * dim + j] = v;
      g[j * dim + i] = v;
    }
  }
  return g;
}

/** Lower Cholesky factor of a symmetric positive semi-definite matrix; a tiny ridge is added when it is singular. */
function cholesky(s: Float64Array, dim: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += s[i * dim + i];
  for (const ridge of [0, 1e-12, 1e-10, 1e-8, 1e-6]) {
    const eps = (ridge * trace) / dim;
    const l = new Float64Array(dim * dim);
    let ok = true;
    for (let j = 0; j < dim && ok; j++) {
      let d = s[j * dim + j] + eps;
      for (let k = 0; k < j; k++) d -= l[j * dim + k] ** 2;
      if (!(d > 0)) {
        ok = false;
        break;
      }
      const ljj = Math.sqrt(d);
      l[j * dim + j] = ljj;
      for (let i = j + 1; i < dim; i++) {
        let v = s[i * dim + j];
        for (let k = 0; k < j; k++) v -= l[i * dim + k] * l[j * dim + k];
        l[i * dim + j] = v / ljj;
      }
    }
    if (ok) return l;
  }
  throw new InvalidArgumentError(
    'reference',
    'covariance',
    'features whose covariance is positive definite up to a 1e-6 ridge',
  );
}

/** What one bootstrap replicate needs of the reference: its resampled mean, covariance S_r, S_r's Cholesky factor and trace. */
interface ReferenceReplicate {
  mean: Float64Array;
  sr: Float64Array;
  l: Float64Array;
  traceR: number;
}

/**
 * Reference features for bootstrapFrechet, with the work that depends on them alone kept between
 * calls: their moments and, per resample of rows, the resampled covariance and its Cholesky factor.
 * With paired resampling (as many generated rows as reference rows) and the same seed, every method
 * scored against one reference draws the same rows, so a session that scores many methods computes
 * the reference side once. The numbers are the same as with the plain feature array (the same
 * operations in the same order, computed once); do not change `features` after creating it.
 */
export class FrechetReference {
  private readonly replicates = new Map<string, ReferenceReplicate>();
  private moments?: FeatureMoments;

  constructor(
    readonly features: ArrayLike<number>,
    readonly dim: number,
  ) {
    requireInteger('dim', dim, 1);
    if (features === null || typeof features !== 'object' || typeof features.length !== 'number')
      throw new InvalidArgumentError('reference', features, 'a row-major array of n x dim features');
  }

  /** Rows of the reference. */
  get rows(): number {
    return this.features.length / this.dim;
  }

  /** Mean and covariance of all reference rows (featureMoments), computed once. */
  featureMoments(): FeatureMoments {
    this.moments ??= featureMoments(this.features, this.dim, 'featuresB');
    return this.moments;
  }

  /** The reference side of the replicate that resamples rows `ir`, computed once per distinct `ir`. */
  replicate(ir: Int32Array): ReferenceReplicate {
    const key = ir.join(',');
    let r = this.replicates.get(key);
    if (r === undefined) {
      const b = resampledMoments(this.features, this.dim, ir);
      const sr = gram(b.centred, ir.length, this.dim);
      const l = cholesky(sr, this.dim);
      let traceR = 0;
      for (let i = 0; i < this.dim; i++) traceR += sr[i * this.dim + i];
      r = { mean: b.mean, sr, l, traceR };
      this.replicates.set(key, r);
    }
    return r;
  }
}

/** The Frechet distance of resampled rows `ig` of `g` and `ir` of the reference: Tr((S_r S_g)^1/2) from the eigenvalues of L^T S_g L, S_r = L L^T. */
function resampledFrechet(
  g: ArrayLike<number>,
  ref: FrechetReference,
  dim: number,
  ig: Int32Array,
  ir: Int32Array,
): number {
  const a = resampledMoments(g, dim, ig);
  const b = ref.replicate(ir);
  const l = b.l;
  // W = centred_g L (n x dim), then L^T S_g L = W^T W / (n - 1)
  const n = ig.length;
  const w = new Float64Array(n * dim);
  let traceG = 0;
  for (let k = 0; k < n; k++) {
    const row = k * dim;
    for (let i = 0; i < dim; i++) {
      const v = a.centred[row + i];
      traceG += v * v;
      if (v === 0) continue;
      const li = i * dim;
      for (let j = 0; j <= i; j++) w[row + j] += v * l[li + j];
    }
  }
  traceG /= n - 1;
  const traceR = b.traceR;
  let traceSqrt = 0;
  for (const ev of symmetricEigenvalues(gram(w, n, dim), dim)) traceSqrt += Math.sqrt(Math.max(ev, 0));
  let meanTerm = 0;
  for (let j = 0; j < dim; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  return meanTerm + traceR + traceG - 2 * traceSqrt;
}

/**
 * Bootstrap interval of the Frechet distance (normal interval from the bootstrap standard error,
 * clipped at 0) between generated features and reference features (row-major, `dim` columns). When both have the same number of rows they are treated as
 * pairs (image i made for the prompt of reference scene i, as every evaluation here does) and the
 * same resampled indices are drawn from both, which keeps the prompt matching; otherwise each set
 * is resampled on its own. Each replicate costs two covariances, a Cholesky factor and one
 * eigenvalue computation (Tr((S_r S_g)^1/2) from the eigenvalues of L^T S_g L, S_r = L L^T).
 * Pass the reference as a `FrechetReference` to reuse its side of the work across calls.
 */
export function bootstrapFrechet(
  generated: ArrayLike<number>,
  reference: ArrayLike<number> | FrechetReference,
  dim: number,
  o: BootstrapOptions = {},
): Interval {
  requireInteger('dim', dim, 1);
  const ref = reference instanceof FrechetReference ? reference : new FrechetReference(reference, dim);
  if (ref.dim !== dim) throw new InvalidArgumentError('reference.dim', ref.dim, `the features' dim (${dim})`);
  const value = frechetDistanceFromMoments(featureMoments(generated, dim, 'featuresA'), ref.featureMoments());
  const ng = generated.length / dim;
  const nr = ref.rows;
  const { reps, level, rng } = options(o, 40);
  const stats = new Float64Array(reps);
  for (let rep = 0; rep < reps; rep++) {
    const ig = resampleIndices(rng, ng);
    const ir = ng === nr ? ig : resampleIndices(rng, nr);
    stats[rep] = resampledFrechet(generated, ref, dim, ig, ir);
  }
  const interval = standardErrorInterval(value, stats, level);
  return { ...interval, low: Math.max(0, interval.low) };
}

/** True when the two intervals share at least one point. */
export function intervalsOverlap(a: Pick<Interval, 'low' | 'high'>, b: Pick<Interval, 'low' | 'high'>): boolean {
  return a.low <= b.high && b.low <= a.high;
}

/** The verdict of comparing two measured intervals. */
export interface IntervalComparison {
  /** 'within noise' when the intervals overlap; otherwise which one is better. */
  verdict: 'within noise' | 'first better' | 'second better';
  /** One readable line, e.g. "LCM 4 (FD 12.1 [11.0, 13.4]) vs DDIM 4 (FD 30.2 [28.1, 32.5]): LCM 4 is better". */
  text: string;
}

/** The interval of k times the quantity (e.g. k = 100 for a fraction shown in percent); k must be positive. */
export function scaleInterval(i: Interval, k: number): Interval {
  if (!(typeof k === 'number' && Number.isFinite(k) && k > 0))
    throw new InvalidArgumentError('k', k, 'a finite number > 0');
  return { ...i, value: i.value * k, low: i.low * k, high: i.high * k };
}

/** "12.10 [11.02, 13.40]": an interval with `digits` decimals. */
export function formatInterval(i: Interval, digits = 2): string {
  return `${i.value.toFixed(digits)} [${i.low.toFixed(digits)}, ${i.high.toFixed(digits)}]`;
}

/**
 * Compares two measured intervals of one metric (`better`: which direction is better): "within
 * noise" when they overlap (the data do not tell the two apart at this sample size), otherwise the
 * better one. Labels name the two in the text.
 */
export function compareIntervals(
  a: Interval,
  b: Interval,
  better: 'lower' | 'higher',
  labels: { a: string; b: string; metric?: string; digits?: number } = { a: 'first', b: 'second' },
): IntervalComparison {
  for (const [f, i] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (i === null || typeof i !== 'object' || !Number.isFinite(i.low) || !Number.isFinite(i.high) || i.low > i.high) {
      throw new InvalidArgumentError(f, i, 'an Interval {value, low <= high, level}');
    }
  }
  if (better !== 'lower' && better !== 'higher')
    throw new InvalidArgumentError('better', better, "'lower' or 'higher'");
  const m = labels.metric ? `${labels.metric} ` : '';
  const d = labels.digits ?? 2;
  const head = `${labels.a} (${m}${formatInterval(a, d)}) vs ${labels.b} (${m}${formatInterval(b, d)})`;
  if (intervalsOverlap(a, b))
    return {
      verdict: 'within noise',
      text: `${head}: within noise (the ${Math.round(100 * a.level)}% intervals overlap)`,
    };
  const aBetter = better === 'lower' ? a.high < b.low : a.low > b.high;
  return aBetter
    ? { verdict: 'first better', text: `${head}: ${labels.a} is better` }
    : { verdict: 'second better', text: `${head}: ${labels.b} is better` };
}
