import { InvalidArgumentError } from '../core/errors.js';

// simple-statistics ships ESM typings ("type": "module") beside the CommonJS build that `require`
// selects; a static import from this CommonJS file trips TS1479 (and the `resolution-mode` escape
// needs TS >= 5.3, newer than tslab's 5.0), so the four functions used are typed here.
const { max, mean, min, quantileSorted } = require('simple-statistics') as {
  max(x: number[]): number;
  mean(x: number[]): number;
  min(x: number[]): number;
  quantileSorted(x: number[], p: number): number;
};

/**
 * Summary of timing samples. Quantiles follow simple-statistics 7.12.1 (pinned: 7.8.9 changed the
 * interpolation), which is Hyndman & Fan's type 7 / numpy's default "linear": the p-quantile of the
 * sorted x_0..x_{n-1} is x_h interpolated linearly at h = (n - 1) p. E.g. [1, 2, 3, 4]: median 2.5,
 * q1 = 1.75, q3 = 3.25.
 */
export interface BenchStats {
  /** The timed samples in run order, milliseconds. */
  samplesMs: number[];
  n: number;
  medianMs: number;
  /** First and third quartiles (type 7) and their difference. */
  q1Ms: number;
  q3Ms: number;
  iqrMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

/** Median, quartiles (type 7), IQR, min, max and mean of timing samples in milliseconds. */
export function summarizeSamples(samplesMs: readonly number[]): BenchStats {
  if (!Array.isArray(samplesMs) || samplesMs.length === 0) {
    throw new InvalidArgumentError('samplesMs', samplesMs, 'expected a non-empty array of durations in ms');
  }
  for (let i = 0; i < samplesMs.length; i++) {
    const v = samplesMs[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(`samplesMs[${i}]`, v, 'expected a finite duration >= 0');
    }
  }
  const samples = samplesMs.slice();
  const sorted = samples.slice().sort((a, b) => a - b);
  const q1Ms = quantileSorted(sorted, 0.25);
  const q3Ms = quantileSorted(sorted, 0.75);
  return {
    samplesMs: samples,
    n: samples.length,
    medianMs: quantileSorted(sorted, 0.5),
    q1Ms,
    q3Ms,
    iqrMs: q3Ms - q1Ms,
    minMs: min(sorted),
    maxMs: max(sorted),
    meanMs: mean(sorted),
  };
}

/** Items per second for `items` processed in `ms` milliseconds. */
export function throughput(items: number, ms: number): number {
  if (typeof items !== 'number' || !Number.isFinite(items) || items < 0) {
    throw new InvalidArgumentError('items', items, 'expected a finite count >= 0');
  }
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError('ms', ms, 'expected a finite duration > 0 in milliseconds');
  }
  return items / (ms / 1000);
}
