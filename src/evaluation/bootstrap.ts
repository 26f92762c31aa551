/**
 * Uncertainty of measured quality: bootstrap confidence intervals (Efron 1979; percentile intervals,
 * Efron & Tibshirani 1993, ch. 13) by resampling images (rows of per-image values or of evaluator
 * features, never regenerating images), with a seeded RNG so that an interval is reproducible.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { featureMoments, frechetDistance } from '../metrics/frechet.js';
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
  /** Bootstrap resamples (default 100 for the Frechet distance, 1000 for means). */
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
  const reps = requireInteger('reps', o.reps ?? defaultReps, 20, 1_000_000);
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

/**
 * Bootstrap percentile interval of the Frechet distance between generated features (n x dim,
 * row-major) and a fixed reference: the generated rows are resampled (the images of one method),
 * the reference set stays fixed (every method is compared with the same real images). Each
 * replicate costs one covariance and one dim x dim symmetric eigendecomposition: the generated rows
 * are first multiplied by S_r^{1/2}, so that S_r^{1/2} S_g S_r^{1/2} is their covariance.
 */
export function bootstrapFrechet(generated: ArrayLike<number>, reference: ArrayLike<number>, dim: number, o: BootstrapOptions = {}): Interval {
  requireInteger('dim', dim, 1);
  const value = frechetDistance(generated, reference, dim);
  const n = generated.length / dim;
  const { reps, level, rng } = options(o, 100);
  const ref = featureMoments(reference, dim, 'reference');
  const sym = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) sym.set(i, j, (ref.sigma[i * dim + j] + ref.sigma[j * dim + i]) / 2);
  const e = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const v = e.eigenvectorMatrix;
  const sqrtRef = v.mmul(Matrix.diag(e.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0))))).mmul(v.transpose());
  let traceRef = 0;
  for (let i = 0; i < dim; i++) traceRef += ref.sigma[i * dim + i];
  const x = new Matrix(n, dim);
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) x.set(r, j, generated[r * dim + j]);
  const y = x.mmul(sqrtRef);
  const xa = x.to2DArray();
  const ya = y.to2DArray();
  const stats = new Float64Array(reps);
  const mx = new Float64Array(dim);
  const my = new Float64Array(dim);
  for (let rep = 0; rep < reps; rep++) {
    const idx = resampleIndices(rng, n);
    mx.fill(0);
    my.fill(0);
    for (const r of idx) {
      const xr = xa[r];
      const yr = ya[r];
      for (let j = 0; j < dim; j++) {
        mx[j] += xr[j];
        my[j] += yr[j];
      }
    }
    for (let j = 0; j < dim; j++) {
      mx[j] /= n;
      my[j] /= n;
    }
    // trace of the generated covariance, and the covariance of the whitened rows
    let traceGen = 0;
    const c = new Float64Array(dim * dim);
    const d = new Float64Array(dim);
    for (const r of idx) {
      const xr = xa[r];
      const yr = ya[r];
      for (let j = 0; j < dim; j++) traceGen += (xr[j] - mx[j]) ** 2;
      for (let j = 0; j < dim; j++) d[j] = yr[j] - my[j];
      for (let i = 0; i < dim; i++) {
        const di = d[i];
        const row = i * dim;
        for (let j = i; j < dim; j++) c[row + j] += di * d[j];
      }
    }
    traceGen /= n - 1;
    const c2 = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) {
      for (let j = i; j < dim; j++) {
        const val = c[i * dim + j] / (n - 1);
        c2[i * dim + j] = val;
        c2[j * dim + i] = val;
      }
    }
    const ev = symmetricEigenvalues(c2, dim);
    let traceSqrt = 0;
    for (const l of ev) traceSqrt += Math.sqrt(Math.max(l, 0));
    let meanTerm = 0;
    for (let j = 0; j < dim; j++) meanTerm += (mx[j] - ref.mu[j]) ** 2;
    stats[rep] = meanTerm + traceRef + traceGen - 2 * traceSqrt;
  }
  const interval = percentileInterval(value, stats, level);
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
  a: Interval, b: Interval, better: 'lower' | 'higher',
  labels: { a: string; b: string; metric?: string; digits?: number } = { a: 'first', b: 'second' },
): IntervalComparison {
  for (const [f, i] of [['a', a], ['b', b]] as const) {
    if (i === null || typeof i !== 'object' || !Number.isFinite(i.low) || !Number.isFinite(i.high) || i.low > i.high) {
      throw new InvalidArgumentError(f, i, 'an Interval {value, low <= high, level}');
    }
  }
  if (better !== 'lower' && better !== 'higher') throw new InvalidArgumentError('better', better, "'lower' or 'higher'");
  const m = labels.metric ? `${labels.metric} ` : '';
  const d = labels.digits ?? 2;
  const head = `${labels.a} (${m}${formatInterval(a, d)}) vs ${labels.b} (${m}${formatInterval(b, d)})`;
  if (intervalsOverlap(a, b)) return { verdict: 'within noise', text: `${head}: within noise (the ${Math.round(100 * a.level)}% intervals overlap)` };
  const aBetter = better === 'lower' ? a.high < b.low : a.low > b.high;
  return aBetter
    ? { verdict: 'first better', text: `${head}: ${labels.a} is better` }
    : { verdict: 'second better', text: `${head}: ${labels.b} is better` };
}
