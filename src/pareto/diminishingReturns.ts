/**
 * The point of diminishing returns of a quality-vs-steps curve: the fewest steps whose quality is
 * within a tolerance of the best on the curve.
 */
import { InvalidArgumentError, requireFinite, requireInteger, requireOneOf } from '../core/errors.js';

/** Options of `diminishingReturns`. */
export interface DiminishingReturnsOptions {
  /** 'lower' (Frechet distance) or 'higher' (SSIM, PSNR, adherence) is better. */
  better: 'lower' | 'higher';
  /** Relative tolerance: within this fraction of the best value counts as "as good" (default 0.1). */
  tolerance?: number;
}

/** The point of diminishing returns of a quality-vs-steps curve. */
export interface DiminishingReturns {
  /** The smallest step count whose value is within the tolerance of the best. */
  steps: number;
  value: number;
  best: number;
  bestSteps: number;
  tolerance: number;
  /** The rule in words, with the numbers. */
  rule: string;
}

/**
 * The first (smallest) step count whose quality is within `tolerance` of the best on the curve:
 * value <= best (1 + tolerance) when lower is better, value >= best (1 - tolerance) when higher is.
 * Steps need not be sorted; ties on the best go to the fewest steps.
 */
export function diminishingReturns(
  steps: readonly number[],
  values: readonly number[],
  options: DiminishingReturnsOptions,
): DiminishingReturns {
  if (!Array.isArray(steps) || steps.length === 0)
    throw new InvalidArgumentError('steps', steps, 'a non-empty array of step counts');
  if (!Array.isArray(values) || values.length !== steps.length)
    throw new InvalidArgumentError('values.length', values?.length, `one value per step count (${steps.length})`);
  steps.forEach((s, i) => requireInteger(`steps[${i}]`, s, 1));
  values.forEach((v, i) => requireFinite(`values[${i}]`, v));
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options', options, '{ better: "lower" | "higher", tolerance? }');
  const better = requireOneOf('better', options.better, ['lower', 'higher'] as const);
  const tolerance = requireFinite('tolerance', options.tolerance ?? 0.1, 0, 1);
  const order = steps.map((_, i) => i).sort((a, b) => steps[a] - steps[b]);
  const isBetter = (a: number, b: number) => (better === 'lower' ? a < b : a > b);
  let bestIdx = order[0];
  for (const i of order) if (isBetter(values[i], values[bestIdx])) bestIdx = i;
  const best = values[bestIdx];
  const limit = better === 'lower' ? best + tolerance * Math.abs(best) : best - tolerance * Math.abs(best);
  const ok = (v: number) => (better === 'lower' ? v <= limit : v >= limit);
  const first = order.filter((i) => ok(values[i]))[0];
  const pct = Math.round(tolerance * 100);
  const rule = `the fewest steps whose value is within ${pct}% of the best (${fmt(best)} at ${stepsText(steps[bestIdx])}, ${better} is better): ${stepsText(steps[first])} (${fmt(values[first])})`;
  return { steps: steps[first], value: values[first], best, bestSteps: steps[bestIdx], tolerance, rule };
}

const stepsText = (n: number) => `${n} step${n === 1 ? '' : 's'}`;
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));
