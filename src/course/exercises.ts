/**
 * The reusable pieces of notebook 07 (summary and exercises) and its worked solutions in
 * notebooks/solutions/: the shipped family's measured summary (data/model-eval.json and
 * models/scenes-training.json), "steps needed" searches and scene prompts of controlled complexity.
 * Pure functions over measured numbers, so the solution cells stay short. (Time budgets and batch
 * saturation are src/evaluation/timeCompare.ts; measuring is the evaluation session's.)
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { parseScenePrompt, sceneCaption, SCENE_ATTRIBUTES, type SceneSpec } from '../scenes/scene.js';

// ---------------------------------------------------------------- the measured summary (notebook 07)
// Its readers (readModelEval, summarizeShippedMethods, ...) are in src/evaluation/recorded.ts.

/**
 * The row with the best `value` ('lower' or 'higher' is better) among those `where` accepts; ties go
 * to the earlier row. Undefined when no row qualifies.
 */
export function bestRowBy<T>(
  rows: readonly T[],
  value: (row: T) => number,
  better: 'lower' | 'higher',
  where: (row: T) => boolean = () => true,
): T | undefined {
  if (better !== 'lower' && better !== 'higher')
    throw new InvalidArgumentError('better', better, "'lower' or 'higher'");
  let best: T | undefined;
  let bestValue = 0;
  for (const r of rows) {
    if (!where(r)) continue;
    const v = value(r);
    if (!Number.isFinite(v)) continue;
    if (best === undefined || (better === 'lower' ? v < bestValue : v > bestValue)) {
      best = r;
      bestValue = v;
    }
  }
  return best;
}

// ---------------------------------------------------------------- exercise 4: steps needed

/** How `stepsNeeded` reads a curve. */
export interface StepsNeededOptions {
  /** Whether higher (adherence) or lower (Frechet distance) values are better; default 'higher'. */
  better?: 'higher' | 'lower';
  /** Require the target to hold at every larger step count too (default true: one lucky point is not enough). */
  sustained?: boolean;
}

/**
 * The fewest steps at which a measured quality curve reaches `target` (>= for 'higher', <= for
 * 'lower'); with `sustained` (the default) the smallest step count from which every larger one also
 * reaches it. Undefined when it is never reached. `steps` must increase.
 */
export function stepsNeeded(
  steps: readonly number[],
  values: readonly number[],
  target: number,
  options: StepsNeededOptions = {},
): number | undefined {
  if (!Array.isArray(steps) || steps.length === 0)
    throw new InvalidArgumentError('steps', steps, 'a non-empty array of step counts');
  if (!Array.isArray(values) || values.length !== steps.length)
    throw new InvalidArgumentError('values', values, `one value per step count (${steps.length})`);
  steps.forEach((s, i) => {
    requireInteger(`steps[${i}]`, s, 1);
    if (i > 0 && s <= steps[i - 1])
      throw new InvalidArgumentError(`steps[${i}]`, s, `increasing step counts (after ${steps[i - 1]})`);
  });
  values.forEach((v, i) => requireFinite(`values[${i}]`, v));
  requireFinite('target', target);
  const better = options.better ?? 'higher';
  if (better !== 'higher' && better !== 'lower')
    throw new InvalidArgumentError('options.better', better, "'higher' or 'lower'");
  const ok = values.map((v) => (better === 'higher' ? v >= target : v <= target));
  if (options.sustained === false) {
    const i = ok.indexOf(true);
    return i < 0 ? undefined : steps[i];
  }
  let first: number | undefined;
  for (let i = steps.length - 1; i >= 0 && ok[i]; i--) first = steps[i];
  return first;
}

/**
 * Steps to a curve's plateau: the fewest steps from which every value is within `margin` of the
 * curve's best (adherence: best - margin; Frechet distance: best + margin). Always defined.
 */
export function stepsToPlateau(
  steps: readonly number[],
  values: readonly number[],
  margin: number,
  better: 'higher' | 'lower' = 'higher',
): number {
  requireFinite('margin', margin, 0);
  if (!Array.isArray(values) || values.length === 0)
    throw new InvalidArgumentError('values', values, 'a non-empty array of measured values');
  values.forEach((v, i) => requireFinite(`values[${i}]`, v));
  const best = better === 'higher' ? Math.max(...values) : Math.min(...values);
  return stepsNeeded(steps, values, better === 'higher' ? best - margin : best + margin, { better, sustained: true })!;
}

/** The optional scene attributes a prompt may name (sun or moon, clouds, stars). */
export const SCENE_EXTRAS = ['celestial', 'clouds', 'stars'] as const;

/**
 * How many of the 7 scene attributes a prompt names: time of day, terrain, palette and style, plus
 * each extra (sun or moon, clouds, stars). Throws on words outside the scene language.
 */
export function namedAttributeCount(prompt: string): number {
  const { spec, unknownWords } = parseScenePrompt(prompt);
  if (unknownWords.length > 0)
    throw new InvalidArgumentError('prompt', prompt, `only scene words; unknown: ${unknownWords.join(', ')}`);
  const main = (['timeOfDay', 'terrain', 'palette', 'style'] as const).filter((k) => spec[k] !== undefined).length;
  return main + SCENE_EXTRAS.filter((k) => spec[k] === true).length;
}

/**
 * `n` scene prompts of controlled complexity: prompt i names `counts[i % counts.length]` attributes
 * (4 = time of day, terrain, palette, style; 5-7 add that many extras among sun/moon, clouds and
 * stars). Main attributes and the choice of extras are drawn from Rng(seed). Stars exist only at
 * night, so a 7-attribute prompt is always a night scene.
 */
export function complexityPrompts(
  counts: number | readonly number[],
  n: number,
  seed: number,
): { prompts: string[]; specs: SceneSpec[] } {
  const list = typeof counts === 'number' ? [counts] : [...counts];
  if (list.length === 0)
    throw new InvalidArgumentError('counts', counts, 'a count in 4..7 or a non-empty list of them');
  list.forEach((c, i) => requireInteger(`counts[${i}]`, c, 4, 7));
  requireInteger('n', n, 1, 100_000);
  requireInteger('seed', seed, 0);
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng.uniform1() * xs.length))];
  const specs: SceneSpec[] = [];
  for (let i = 0; i < n; i++) {
    const count = list[i % list.length];
    const timeOfDay = count === 7 ? 'night' : pick(SCENE_ATTRIBUTES.timeOfDay);
    const spec: SceneSpec = {
      timeOfDay,
      terrain: pick(SCENE_ATTRIBUTES.terrain),
      palette: pick(SCENE_ATTRIBUTES.palette),
      style: pick(SCENE_ATTRIBUTES.style),
      celestial: false,
      clouds: false,
      stars: false,
    };
    for (let k = count - 4; k > 0; k--) {
      const free = SCENE_EXTRAS.filter((e) => !spec[e] && (e !== 'stars' || timeOfDay === 'night'));
      spec[pick(free)] = true;
    }
    specs.push(spec);
  }
  return { prompts: specs.map(sceneCaption), specs };
}
