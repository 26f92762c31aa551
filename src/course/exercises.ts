/**
 * The reusable pieces of notebook 07 (summary and exercises) and its worked solutions in
 * notebooks/solutions/: the shipped family's measured summary (data/model-eval.json and
 * models/scenes-training.json), time budgets, "steps needed" searches, the batch size where
 * throughput saturates, scene prompts of controlled complexity, and resizing images for the
 * 64 px scene evaluator. Pure functions over measured numbers, so the solution cells stay short.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { pngsToPixels, promptAdherence, type Adherence, type SceneEvaluator } from '../quality/sceneEvaluator.js';
import { parseScenePrompt, sceneCaption, SCENE_ATTRIBUTES, type SceneSpec } from '../scenes/scene.js';
import { packageRoot } from '../core/packageRoot.js';

// ---------------------------------------------------------------- the measured summary (notebook 07)

/** One row of data/model-eval.json (`npm run eval:models`): a sampler configuration's quality on 500 prompts. */
export interface ModelEvalRow {
  name: string;
  /** Model folder under models/ ('.lcm-lora-fused' for teacher + LCM-LoRA). */
  model: string;
  steps: number;
  guidance: number;
  images: number;
  /** Frechet distance in the scene evaluator's feature space (lower is better). */
  frechet: number;
  /** Mean fraction of the prompt's 7 attributes found in the image (higher is better). */
  adherence: number;
  /** Fraction of images with all 7 attributes right. */
  allCorrect: number;
  /** Wall time of the row in eval:models (generation in batches of 25 plus scoring). */
  seconds: number;
}

/** The parts of data/model-eval.json the course reads. */
export interface ModelEvalFile {
  what: string;
  date: string;
  images: number;
  machine: { cpu: string; cores: number; [k: string]: unknown };
  rows: ModelEvalRow[];
  speed: { lcm4EndToEndMs: number; teacher50GuidedMs: number; unetBatch1Ms: number; [k: string]: unknown };
}

/** One stage of models/scenes-training.json: optimiser steps, batch size and wall-clock minutes on the recipe's CPU. */
export interface TrainingStage {
  steps: number;
  batch: number;
  minutes: number;
  /**
   * Stages whose result this stage started from (e.g. the LCM student from teacher + LCM-LoRA:
   * ['lora']); their cost is part of this stage's. From the record's `init_stages`, or, in records
   * written before it existed, from its `init` text.
   */
  initStages?: string[];
}

function readJson(file: string, field: string): unknown {
  if (!fs.existsSync(file))
    throw new InvalidArgumentError(
      field,
      file,
      'an existing JSON file (run npm run eval:models / the scenes recipe to make it)',
    );
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

/** Reads and checks data/model-eval.json (default: the package's own). */
export function readModelEval(file = path.join(packageRoot(), 'data', 'model-eval.json')): ModelEvalFile {
  const data = readJson(file, 'file') as Partial<ModelEvalFile>;
  if (!Array.isArray(data.rows) || data.rows.length === 0 || typeof data.speed !== 'object' || data.speed === null) {
    throw new InvalidArgumentError(
      'file',
      file,
      'a model-eval.json with rows[] and speed{} (written by npm run eval:models)',
    );
  }
  for (const [i, r] of data.rows.entries()) {
    for (const k of ['steps', 'guidance', 'frechet', 'adherence', 'allCorrect', 'seconds'] as const) {
      requireFinite(`rows[${i}].${k}`, r[k]);
    }
  }
  return data as ModelEvalFile;
}

/** The row named `name` of a model-eval file (e.g. 'LCM 4'); throws naming the rows there are. */
export function modelEvalRow(evalFile: ModelEvalFile, name: string): ModelEvalRow {
  const row = evalFile.rows.find((r) => r.name === name);
  if (!row)
    throw new InvalidArgumentError(
      'name',
      name,
      `one of ${evalFile.rows.map((r) => JSON.stringify(r.name)).join(', ')}`,
    );
  return row;
}

/** Reads models/scenes-training.json: the recipe's training stages by name (ae, teacher, lcm, lora, pd8, pd4, pd2, pd1, evaluator). */
export function readTrainingRecord(
  file = path.join(packageRoot(), 'models', 'scenes-training.json'),
): Record<string, TrainingStage> {
  const data = readJson(file, 'file') as Record<string, unknown>;
  const out: Record<string, TrainingStage> = {};
  for (const [name, v] of Object.entries(data)) {
    const s = v as Partial<TrainingStage> | null;
    if (
      s &&
      typeof s === 'object' &&
      typeof s.steps === 'number' &&
      typeof s.batch === 'number' &&
      typeof s.minutes === 'number'
    ) {
      out[name] = {
        steps: s.steps,
        batch: s.batch,
        minutes: s.minutes,
        initStages: initStagesOf(name, v as Record<string, unknown>),
      };
    }
  }
  return out;
}

/** The stages a recorded stage was initialised from: `init_stages`, else read from its `init` text ("teacher + LCM-LoRA merged"). */
function initStagesOf(name: string, stage: Record<string, unknown>): string[] {
  const listed = stage.init_stages;
  if (listed !== undefined) {
    if (!Array.isArray(listed) || listed.some((x) => typeof x !== 'string')) {
      throw new InvalidArgumentError(`${name}.init_stages`, listed, 'an array of stage names of the training record');
    }
    return listed as string[];
  }
  return typeof stage.init === 'string' && /LCM-LoRA/i.test(stage.init) ? ['lora'] : [];
}

/** When and on which machine a training record was written (its `recorded` entry), for a 'recorded' provenance. */
export function readTrainingRecordOrigin(file = path.join(packageRoot(), 'models', 'scenes-training.json')): {
  date: string;
  machine: string;
} {
  const data = readJson(file, 'file') as { recorded?: { date?: unknown; machine?: unknown } };
  const r = data.recorded;
  if (!r || typeof r.date !== 'string' || typeof r.machine !== 'string') {
    throw new InvalidArgumentError('file', file, 'a training record with recorded: {date, machine}');
  }
  return { date: r.date, machine: r.machine };
}

/** The 'recorded' provenance of numbers read from a model-eval file: its date and the machine it names. */
export function modelEvalProvenance(
  evalFile: ModelEvalFile,
  what?: string,
): { provenance: 'recorded'; date: string; machine: string; source: string } {
  const m = evalFile.machine;
  if (!m || typeof m.cpu !== 'string' || typeof m.cores !== 'number' || typeof evalFile.date !== 'string') {
    throw new InvalidArgumentError('evalFile', evalFile.date, 'a model-eval file with date and machine {cpu, cores}');
  }
  return {
    provenance: 'recorded',
    date: evalFile.date,
    machine: `${m.cpu}, ${m.cores} cores`,
    source: what ?? `data/model-eval.json (npm run eval:models, ${evalFile.images} images per row)`,
  };
}

/**
 * Sum of the stages' minutes and training examples (steps x batch), including the stages each was
 * initialised from (`initStages`, counted once); throws naming a missing stage.
 */
export function trainingCost(
  record: Record<string, TrainingStage>,
  stages: readonly string[],
): { minutes: number; examples: number } {
  let minutes = 0;
  let examples = 0;
  const counted = new Set<string>();
  const visit = (name: string, chain: readonly string[]): void => {
    if (counted.has(name)) return;
    if (chain.includes(name))
      throw new InvalidArgumentError(
        'stages',
        name,
        `a training record without a cycle of init stages (${[...chain, name].join(' -> ')})`,
      );
    const s = record[name];
    if (!s)
      throw new InvalidArgumentError(
        'stages',
        name,
        `a stage of the training record: ${Object.keys(record).join(', ')}`,
      );
    for (const init of s.initStages ?? []) visit(init, [...chain, name]);
    counted.add(name);
    minutes += s.minutes;
    examples += s.steps * s.batch;
  };
  for (const name of stages) visit(name, []);
  return { minutes, examples };
}

/**
 * UNet rows evaluated per image: `steps`, doubled under classifier-free guidance (an SD-family
 * model with guidance > 1 runs the conditional and unconditional rows; LCM takes guidance as an
 * embedding, one row per step), as the pipeline does.
 */
export function unetRowsPerImage(family: 'sd' | 'lcm' | 'turbo', steps: number, guidance: number): number {
  requireInteger('steps', steps, 1);
  requireFinite('guidance', guidance, 0);
  if (!['sd', 'lcm', 'turbo'].includes(family))
    throw new InvalidArgumentError('family', family, "'sd', 'lcm' or 'turbo'");
  return steps * (family !== 'lcm' && guidance > 1 ? 2 : 1);
}

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

/**
 * The training stages (names in models/scenes-training.json) a shipped model needs on top of the
 * teacher: none for the teacher itself, 'lcm' for the LCM student, 'lora' for teacher + LCM-LoRA,
 * and the progressive-distillation chain pd8 -> pd4 -> pd2 -> pd1 down to the student's step count.
 */
export function trainingStagesFor(model: string): string[] {
  if (model === 'scenes-teacher') return [];
  if (model === 'scenes-lcm') return ['lcm'];
  if (model.includes('lcm-lora')) return ['lora'];
  const pd = /^scenes-pd-(\d+)$/.exec(model);
  if (pd) {
    const chain = [8, 4, 2, 1];
    const k = chain.indexOf(Number(pd[1]));
    if (k >= 0) return chain.slice(0, k + 1).map((n) => `pd${n}`);
  }
  throw new InvalidArgumentError(
    'model',
    model,
    "a shipped sampler model: 'scenes-teacher', 'scenes-lcm', a fused LCM-LoRA folder or 'scenes-pd-<8|4|2|1>'",
  );
}

/** A row of the course summary: a measured eval row with its cost per image and its training cost. */
export interface MethodSummaryRow extends ModelEvalRow {
  /** UNet rows per image (steps, doubled under classifier-free guidance). */
  unetRows: number;
  /** Training on top of the teacher, minutes on the recipe's CPU (0 for the teacher's own samplers). */
  trainingMinutes: number;
  /** Training examples seen on top of the teacher (optimiser steps x batch). */
  trainingExamples: number;
}

/** Every row of a model-eval file with its UNet rows per image and its training cost from the training record. */
export function summarizeShippedMethods(
  evalFile: ModelEvalFile,
  training: Record<string, TrainingStage>,
): MethodSummaryRow[] {
  return evalFile.rows.map((r) => {
    const family = r.model === 'scenes-lcm' ? 'lcm' : 'sd';
    const cost = trainingCost(training, trainingStagesFor(r.model));
    return {
      ...r,
      unetRows: unetRowsPerImage(family, r.steps, r.guidance),
      trainingMinutes: cost.minutes,
      trainingExamples: cost.examples,
    };
  });
}

// ---------------------------------------------------------------- exercise 2: a fixed time budget

/** A configuration with its measured time per image. */
export interface TimedConfig {
  timeMs: number;
}

/** The configurations whose measured time per image is within `budgetMs` (inclusive), in their order. */
export function withinTimeBudget<T extends TimedConfig>(configs: readonly T[], budgetMs: number): T[] {
  requireFinite('budgetMs', budgetMs, 0);
  if (budgetMs <= 0) throw new InvalidArgumentError('budgetMs', budgetMs, 'a positive number of milliseconds');
  configs.forEach((c, i) => requireFinite(`configs[${i}].timeMs`, c.timeMs, 0));
  return configs.filter((c) => c.timeMs <= budgetMs);
}

/**
 * The best configuration that fits the budget by `score` ('lower' or 'higher' is better); among
 * equal scores the faster one. Undefined when nothing fits.
 */
export function bestWithinTimeBudget<T extends TimedConfig>(
  configs: readonly T[],
  budgetMs: number,
  score: (c: T) => number,
  better: 'lower' | 'higher',
): T | undefined {
  const fitting = withinTimeBudget(configs, budgetMs)
    .slice()
    .sort((a, b) => a.timeMs - b.timeMs);
  return bestRowBy(fitting, score, better);
}

/**
 * Resizes PNGs to size x size with sharp (Lanczos-3, aspect ratio ignored): the scene evaluator
 * sees 64 px, so images made at other resolutions are brought to its size before scoring.
 */
export async function resizePngs(pngs: readonly Uint8Array[], size: number): Promise<Buffer[]> {
  requireInteger('size', size, 1, 8192);
  return Promise.all(
    pngs.map((png) => sharp(png).resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).png().toBuffer()),
  );
}

// ---------------------------------------------------------------- exercise 3: batch size

/** Throughput at one batch size. */
export interface BatchPoint {
  batch: number;
  /** Median time of one call divided by the batch size. */
  perImageMs: number;
  imagesPerSecond: number;
}

/** Where throughput stops improving. */
export interface ThroughputSaturation {
  points: BatchPoint[];
  /** The smallest batch whose throughput is within `tolerance` of the best measured. */
  saturationBatch: number;
  /** The batch with the highest measured throughput. */
  bestBatch: number;
  bestImagesPerSecond: number;
  tolerance: number;
}

/**
 * From per-call times at increasing batch sizes: images per second at each batch, and the
 * saturation point, the smallest batch whose throughput is at least (1 - tolerance) x the best
 * measured one (larger batches gain less than `tolerance`, e.g. 0.1 = 10 %).
 */
export function throughputSaturation(
  batches: readonly number[],
  callMs: readonly number[],
  tolerance = 0.1,
): ThroughputSaturation {
  if (!Array.isArray(batches) || batches.length === 0)
    throw new InvalidArgumentError('batches', batches, 'a non-empty array of batch sizes');
  if (!Array.isArray(callMs) || callMs.length !== batches.length)
    throw new InvalidArgumentError('callMs', callMs, `one time per batch size (${batches.length})`);
  requireFinite('tolerance', tolerance, 0, 1);
  batches.forEach((b, i) => {
    requireInteger(`batches[${i}]`, b, 1);
    if (i > 0 && b <= batches[i - 1])
      throw new InvalidArgumentError(`batches[${i}]`, b, `increasing batch sizes (after ${batches[i - 1]})`);
  });
  const points = batches.map((batch, i) => {
    const ms = requireFinite(`callMs[${i}]`, callMs[i], 0);
    if (ms <= 0) throw new InvalidArgumentError(`callMs[${i}]`, ms, 'a positive time in milliseconds');
    return { batch, perImageMs: ms / batch, imagesPerSecond: (1000 * batch) / ms };
  });
  const best = bestRowBy(points, (p) => p.imagesPerSecond, 'higher')!;
  const saturation = points.find((p) => p.imagesPerSecond >= (1 - tolerance) * best.imagesPerSecond)!;
  return {
    points,
    saturationBatch: saturation.batch,
    bestBatch: best.batch,
    bestImagesPerSecond: best.imagesPerSecond,
    tolerance,
  };
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

// ---------------------------------------------------------------- generating and scoring image sets

/** Prompt adherence of PNGs (image i made for prompts[i]) as the scene evaluator sees them at `size` px (default 64). */
export async function adherenceOfImages(
  evaluator: SceneEvaluator,
  pngs: readonly Uint8Array[],
  prompts: readonly string[],
  size = 64,
): Promise<Adherence> {
  if (pngs.length !== prompts.length || pngs.length === 0)
    throw new InvalidArgumentError('pngs', pngs.length, `one image per prompt (${prompts.length}), at least one`);
  const out = await evaluator.run(await pngsToPixels(pngs, size), pngs.length, size);
  return promptAdherence(out.attributes, prompts);
}
