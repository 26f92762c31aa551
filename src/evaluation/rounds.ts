/**
 * What a halving round of progressive distillation costs, with uncertainty: the ratio of the new
 * student's quality to the previous student's (e.g. Frechet distance 8 -> 4 steps), with an interval
 * from the two measured intervals, and whether the change is within noise.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { normalQuantile, type Interval } from './bootstrap.js';

/** z of a two-sided normal interval at `level` (1.96 for 0.95). */
const zFor = (level: number): number => normalQuantile(1 - (1 - level) / 2);

function checkInterval(i: Interval, field: string): void {
  if (i === null || typeof i !== 'object')
    throw new InvalidArgumentError(field, i, 'an Interval {value, low, high, level}');
  for (const k of ['value', 'low', 'high', 'level'] as const) {
    if (typeof i[k] !== 'number' || !Number.isFinite(i[k]))
      throw new InvalidArgumentError(`${field}.${k}`, i[k], 'a finite number');
  }
  if (!(i.value > 0)) throw new InvalidArgumentError(`${field}.value`, i.value, 'a positive quality value (a ratio)');
  if (!(i.low <= i.value && i.value <= i.high))
    throw new InvalidArgumentError(field, `[${i.low}, ${i.high}] around ${i.value}`, 'an interval holding its value');
  if (!(i.level > 0 && i.level < 1)) throw new InvalidArgumentError(`${field}.level`, i.level, 'a level in (0, 1)');
}

/**
 * The ratio b / a of two positive measured values with an interval at `level` (default: the
 * inputs' level): the delta method on the log ratio, log(b/a) +- z sqrt(sa^2 + sb^2), where each
 * relative standard error s = (wider half of its interval) / (z value). It treats the two errors as
 * independent; two image sets made from the same prompts and seeds have positively correlated errors,
 * for which the true interval of the ratio is narrower, so this one is conservative.
 */
export function ratioInterval(a: Interval, b: Interval, level?: number): Interval {
  checkInterval(a, 'a');
  checkInterval(b, 'b');
  const lv = level ?? a.level;
  if (!(lv > 0 && lv < 1)) throw new InvalidArgumentError('level', lv, 'a level in (0, 1)');
  const rel = (i: Interval) => Math.max(i.high - i.value, i.value - i.low) / zFor(i.level) / i.value;
  const se = Math.sqrt(rel(a) ** 2 + rel(b) ** 2);
  const ratio = b.value / a.value;
  const z = zFor(lv);
  return { value: ratio, low: ratio * Math.exp(-z * se), high: ratio * Math.exp(z * se), level: lv };
}

/** One halving round: from the student at `from` steps to the one at `to` steps. */
export interface HalvingRound {
  from: number;
  to: number;
  /** quality(to) / quality(from) with its interval (for the Frechet distance: above 1 = worse). */
  ratio: Interval;
  /** 'within noise' when the ratio's interval holds 1; else whether the metric got worse or better. */
  verdict: 'within noise' | 'worse' | 'better';
  /** "8 -> 4 steps: x1.07 [0.98, 1.17], within noise". */
  text: string;
}

/**
 * The halving rounds of a series of students (step counts and quality intervals, any order): each
 * consecutive pair from the most steps to the fewest, as the ratio of the new student's value over
 * the previous one's with `ratioInterval`. `better` says which direction of the metric is better.
 */
export function halvingRounds(
  students: readonly { steps: number; value: Interval }[],
  better: 'lower' | 'higher',
): HalvingRound[] {
  if (!Array.isArray(students) || students.length < 2)
    throw new InvalidArgumentError('students', students, 'at least two students {steps, value}');
  if (better !== 'lower' && better !== 'higher')
    throw new InvalidArgumentError('better', better, "'lower' or 'higher'");
  const sorted = [...students].sort((x, y) => y.steps - x.steps);
  sorted.forEach((s, i) => {
    if (!Number.isInteger(s.steps) || s.steps < 1)
      throw new InvalidArgumentError(`students[${i}].steps`, s.steps, 'a positive integer');
    if (i > 0 && s.steps === sorted[i - 1].steps)
      throw new InvalidArgumentError('students', s.steps, 'one student per step count');
  });
  return sorted.slice(1).map((s, i) => {
    const prev = sorted[i];
    const ratio = ratioInterval(prev.value, s.value);
    const up = ratio.low > 1;
    const down = ratio.high < 1;
    const verdict: HalvingRound['verdict'] =
      !up && !down ? 'within noise' : up === (better === 'lower') ? 'worse' : 'better';
    const r = (v: number) => v.toFixed(2);
    return {
      from: prev.steps,
      to: s.steps,
      ratio,
      verdict,
      text: `${prev.steps} -> ${s.steps} steps: x${r(ratio.value)} [${r(ratio.low)}, ${r(ratio.high)}], ${verdict}`,
    };
  });
}

/**
 * The fewest steps from which every measured point is indistinguishable from the curve's best: its
 * 95% interval overlaps the best point's interval (best = lowest value when lower is better, highest
 * otherwise). `steps` must increase; one interval per step count.
 */
export function stepsWithinNoiseOfBest(
  steps: readonly number[],
  values: readonly Interval[],
  better: 'lower' | 'higher',
): { steps: number; bestSteps: number } {
  if (!Array.isArray(steps) || steps.length === 0)
    throw new InvalidArgumentError('steps', steps, 'a non-empty array of step counts');
  if (!Array.isArray(values) || values.length !== steps.length)
    throw new InvalidArgumentError('values', values?.length, `one interval per step count (${steps.length})`);
  if (better !== 'lower' && better !== 'higher')
    throw new InvalidArgumentError('better', better, "'lower' or 'higher'");
  steps.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1 || (i > 0 && s <= steps[i - 1]))
      throw new InvalidArgumentError(`steps[${i}]`, s, 'increasing positive step counts');
  });
  values.forEach((v, i) => {
    if (v === null || typeof v !== 'object' || !(v.low <= v.value && v.value <= v.high))
      throw new InvalidArgumentError(`values[${i}]`, v, 'an Interval {value, low <= value <= high}');
  });
  let best = 0;
  values.forEach((v, i) => {
    if (better === 'lower' ? v.value < values[best].value : v.value > values[best].value) best = i;
  });
  const overlaps = (v: Interval) => v.low <= values[best].high && values[best].low <= v.high;
  let first = best;
  for (let i = steps.length - 1; i >= 0 && overlaps(values[i]); i--) first = Math.min(first, i);
  // points after the best that do not overlap it end the plateau's run: the answer is the best's own step count then
  for (let i = best + 1; i < steps.length; i++) if (!overlaps(values[i])) first = best;
  return { steps: steps[first], bestSteps: steps[best] };
}
