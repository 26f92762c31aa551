/**
 * Comparing measured times with their spread. A time is the median of timed runs with its
 * interquartile range [q1, q3] (the middle half of the runs; src/bench's type-7 quartiles); every
 * quantity derived from times carries the range the quartiles imply:
 *
 * - images per minute: 60 000 / median, range [60 000 / q3, 60 000 / q1];
 * - a speed-up of B over A (how many times faster B is): median_A / median_B, range
 *   [q1_A / q3_B, q3_A / q1_B] (the ratio of quartiles: the extremes of the two IQRs, a conservative
 *   range, not a bootstrap confidence interval).
 *
 * Two times are "within noise" exactly when their IQRs overlap, which is exactly when the speed-up's
 * range contains 1 (q1_A / q3_B <= 1 <= q3_A / q1_B  <=>  q1_A <= q3_B and q1_B <= q3_A), so the
 * verdict and the printed range never disagree.
 */
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { formatInterval, intervalsOverlap, type Interval } from './bootstrap.js';
import type { TimeStats } from './result.js';

/** Level of the ranges here: the interquartile range holds the middle half of the runs. */
export const IQR_LEVEL = 0.5;
/** How the ranges of this file are made (for captions and structured results). */
export const TIME_RANGE_BASIS =
  'median with interquartile range of the timed runs; ratios use the ratio of quartiles [q1/q3, q3/q1]';

function checkTime(t: TimeStats, field: string): TimeStats {
  if (t === null || typeof t !== 'object')
    throw new InvalidArgumentError(field, t, 'TimeStats {medianMs, q1Ms, q3Ms, iqrMs, n}');
  for (const k of ['q1Ms', 'medianMs', 'q3Ms'] as const) {
    const v = t[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new InvalidArgumentError(`${field}.${k}`, v, 'a finite time >= 0 in milliseconds');
  }
  if (!(t.q1Ms <= t.medianMs && t.medianMs <= t.q3Ms))
    throw new InvalidArgumentError(field, `${t.q1Ms} / ${t.medianMs} / ${t.q3Ms}`, 'q1Ms <= medianMs <= q3Ms');
  return t;
}

function checkPositive(t: TimeStats, field: string): TimeStats {
  checkTime(t, field);
  if (t.q1Ms <= 0) throw new InvalidArgumentError(`${field}.q1Ms`, t.q1Ms, 'a time > 0 (a ratio divides by it)');
  return t;
}

/** A time as an interval: the median with its interquartile range (level 0.5). */
export function timeInterval(t: TimeStats, field = 'time'): Interval {
  checkTime(t, field);
  return { value: t.medianMs, low: t.q1Ms, high: t.q3Ms, level: IQR_LEVEL };
}

/** Images per minute of a time per image: 60 000 / median, range [60 000 / q3, 60 000 / q1]. */
export function imagesPerMinute(t: TimeStats, field = 'time'): Interval {
  checkPositive(t, field);
  return { value: 60_000 / t.medianMs, low: 60_000 / t.q3Ms, high: 60_000 / t.q1Ms, level: IQR_LEVEL };
}

/**
 * How many times faster `t` is than `baseline` (time per image): baseline median / t median, with
 * the ratio-of-quartiles range [baseline q1 / t q3, baseline q3 / t q1].
 */
export function speedUpOver(baseline: TimeStats, t: TimeStats): Interval {
  checkPositive(baseline, 'baseline');
  checkPositive(t, 'time');
  return {
    value: baseline.medianMs / t.medianMs,
    low: baseline.q1Ms / t.q3Ms,
    high: baseline.q3Ms / t.q1Ms,
    level: IQR_LEVEL,
  };
}

/** The verdict of comparing two times. */
export interface TimeComparison {
  /** 'within noise' when the IQRs overlap, else which one is faster. */
  verdict: 'within noise' | 'first faster' | 'second faster';
  /** How many times faster the first is than the second (>1: first faster), with its range. */
  speedUp: Interval;
  /** One readable line with both times, the speed-up and the verdict. */
  text: string;
}

/** "12.3 ms [11.9, 13.0]": a time interval with `digits` decimals. */
export function formatTime(t: TimeStats, digits = 1): string {
  return `${formatInterval(timeInterval(t), digits).replace(' [', ' ms [')}`;
}

/**
 * Compares the times per image of two methods: "within noise" when their IQRs overlap (then the
 * speed-up's range contains 1), else the faster one, with the speed-up of the first over the second.
 */
export function compareTimes(a: TimeStats, b: TimeStats, labels: { a: string; b: string }): TimeComparison {
  const ia = timeInterval(a, 'a');
  const ib = timeInterval(b, 'b');
  const s = speedUpOver(b, a);
  const head = `${labels.a} ${formatTime(a)} vs ${labels.b} ${formatTime(b)}: ${labels.a} is ${formatRatio(s)} as fast`;
  if (intervalsOverlap(ia, ib))
    return { verdict: 'within noise', speedUp: s, text: `${head}, within noise (the IQRs overlap)` };
  return a.medianMs < b.medianMs
    ? { verdict: 'first faster', speedUp: s, text: `${head}: ${labels.a} is faster` }
    : { verdict: 'second faster', speedUp: s, text: `${head}: ${labels.b} is faster` };
}

/** "3.2x [2.9, 3.6]": a ratio with its range. */
export function formatRatio(r: Interval, digits = 2): string {
  return `${r.value.toFixed(digits)}x [${r.low.toFixed(digits)}, ${r.high.toFixed(digits)}]`;
}

/** One batch size of a batch sweep: the time per image (a call's time divided by the batch). */
export interface BatchTime {
  batch: number;
  time: TimeStats;
}

/** What batchSaturation finds. */
export interface BatchSaturation {
  points: { batch: number; perImage: Interval; imagesPerMinute: Interval }[];
  /** The batch with the lowest median time per image. */
  bestBatch: number;
  /** The smallest batch whose IQR overlaps the best batch's: larger batches gain nothing measurable. */
  saturationBatch: number;
  /** Speed-up per image of the best batch over the smallest one, with its range. */
  gain: Interval;
  /** 'within noise': the smallest batch is within noise of the best (no measurable gain); else 'saturates'. */
  verdict: 'within noise' | 'saturates';
  text: string;
}

/**
 * Time per image against batch size: the best batch (lowest median), the saturation batch (the
 * smallest whose IQR overlaps the best's) and the gain of the best over the smallest batch. When the
 * smallest batch's IQR overlaps the best's, the verdict is "within noise": the sweep shows no
 * measurable gain from batching, and no saturation point is claimed.
 */
export function batchSaturation(points: readonly BatchTime[], label = 'time per image'): BatchSaturation {
  if (!Array.isArray(points) || points.length < 2)
    throw new InvalidArgumentError('points', points, 'at least two {batch, time} points');
  points.forEach((p, i) => {
    requireInteger(`points[${i}].batch`, p?.batch, 1);
    if (i > 0 && p.batch <= points[i - 1].batch)
      throw new InvalidArgumentError(
        `points[${i}].batch`,
        p.batch,
        `increasing batch sizes (after ${points[i - 1].batch})`,
      );
    checkPositive(p.time, `points[${i}].time`);
  });
  const rows = points.map((p) => ({
    batch: p.batch,
    perImage: timeInterval(p.time),
    imagesPerMinute: imagesPerMinute(p.time),
  }));
  let best = 0;
  points.forEach((p, i) => {
    if (p.time.medianMs < points[best].time.medianMs) best = i;
  });
  const sat = rows.findIndex((r) => intervalsOverlap(r.perImage, rows[best].perImage));
  const gain = speedUpOver(points[0].time, points[best].time);
  const first = points[0];
  const bestP = points[best];
  const b1 = `batch ${first.batch}: ${formatTime(first.time)}`;
  const bb = `batch ${bestP.batch}: ${formatTime(bestP.time)}`;
  if (sat === 0) {
    return {
      points: rows,
      bestBatch: bestP.batch,
      saturationBatch: first.batch,
      gain,
      verdict: 'within noise',
      text: `${label}: batching gains nothing measurable, within noise (${b1}; best ${bb}; gain ${formatRatio(gain)}, the IQRs overlap)`,
    };
  }
  return {
    points: rows,
    bestBatch: bestP.batch,
    saturationBatch: points[sat].batch,
    gain,
    verdict: 'saturates',
    text:
      sat === best && best === points.length - 1
        ? `${label}: ${b1} -> ${bb} (${formatRatio(gain)} faster per image); still falling at the largest batch measured, no saturation within the sweep`
        : `${label}: ${b1} -> ${bb} (${formatRatio(gain)} faster per image); from batch ${points[sat].batch} on, within noise of the best`,
  };
}

/** Where a measured time stands against a budget: its whole IQR within, its whole IQR over, or straddling it. */
export type BudgetFit = 'fits' | 'over' | 'within noise of the budget';

/** 'fits' when q3 <= budget, 'over' when q1 > budget, else 'within noise of the budget'. */
export function budgetFit(t: TimeStats, budgetMs: number): BudgetFit {
  checkTime(t, 'time');
  if (typeof budgetMs !== 'number' || !Number.isFinite(budgetMs) || budgetMs <= 0)
    throw new InvalidArgumentError('budgetMs', budgetMs, 'a positive number of milliseconds');
  if (t.q3Ms <= budgetMs) return 'fits';
  if (t.q1Ms > budgetMs) return 'over';
  return 'within noise of the budget';
}
