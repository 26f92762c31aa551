/**
 * Helpers of notebook 06, "Distillation and quality metrics": the table of distillation methods
 * (with citations), one quality row per sampling method (Frechet distance and prompt adherence with
 * the scene evaluator; PSNR and SSIM against reference images of the same prompts and seeds), and
 * the point of diminishing returns of a quality-vs-steps curve.
 */
import { InvalidArgumentError, requireFinite, requireInteger, requireOneOf } from '../core/errors.js';
import { cached } from '../evaluation/cache.js';
import type { SceneEvaluator, SceneReference } from '../quality/sceneEvaluator.js';
import { methodFingerprint } from '../evaluation/key.js';
import {
  generateForPrompts,
  pairQuality,
  PipelineCache,
  prepareMethod,
  scoreMethodCached,
  type MethodSpec,
} from './measure.js';

/** One distillation method of the course's table: what the student learns, in how many steps, at what cost. */
export interface DistillationMethodInfo {
  method: string;
  /** What the student network is trained to output. */
  learns: string;
  /** Sampling steps the published models use. */
  steps: string;
  /** What distilling costs (training signal, extra networks, compute where the paper states it). */
  cost: string;
  /** Where the method appears in this course. */
  inCourse: string;
  /** Papers: "Authors, venue year, arXiv id". */
  citations: string[];
}

/** The distillation families of the course (issue 5, section 6), each with its papers. */
export const DISTILLATION_METHODS: readonly DistillationMethodInfo[] = Object.freeze([
  {
    method: 'Progressive distillation',
    learns:
      'to do two DDIM steps of its teacher in one (the x-target of Algorithm 2); repeated, halving the steps each round',
    steps: '4-8 (1-2 possible, worse)',
    cost: 'log2(N) training rounds, each initialised from the previous student; guidance can be distilled in first (Meng et al.)',
    inCourse:
      'this notebook: simulated on the toy (section 2); the shipped scenes-pd-8/4/2/1 students (section 3, and notebooks 05 and 07)',
    citations: ['Salimans & Ho, ICLR 2022, arXiv 2202.00512', 'Meng et al., CVPR 2023, arXiv 2210.03142'],
  },
  {
    method: 'Consistency distillation / LCM',
    learns:
      'the consistency function: the end of the probability-flow ODE path through any (x_t, t), matched between adjacent noise levels joined by one teacher ODE step',
    steps: '1-8 (2-4 typical)',
    cost: 'one distillation run with an EMA target network; LCM distils guidance in (guidance as an input)',
    inCourse:
      'notebook 02 (toy: the exact consistency function, and consistency distillation trained on it); the shipped scenes-lcm (notebooks 02-07)',
    citations: ['Song, Dhariwal, Chen, Sutskever, ICML 2023, arXiv 2303.01469', 'Luo et al. 2023, arXiv 2310.04378'],
  },
  {
    method: 'LCM-LoRA',
    learns:
      'the LCM update as a low-rank adapter on the teacher, which can be added to fine-tuned versions of the same base model',
    steps: '2-8 (4 typical)',
    cost: 'consistency distillation that trains only the LoRA weights',
    inCourse: 'the shipped scenes-lcm-lora, fused into the teacher (notebooks 05 and 07, exercise 1)',
    citations: ['Luo et al. 2023, arXiv 2311.05556'],
  },
  {
    method: 'Adversarial diffusion distillation (SD-Turbo)',
    learns:
      'a 1-4 step generator trained with an adversarial loss (a discriminator on frozen pretrained features) plus score distillation from the teacher',
    steps: '1-4',
    cost: 'GAN-style training with the teacher and a discriminator in the loop',
    inCourse: 'published numbers (notebooks 05 and 07); sd-turbo loads through npm run fetch-model',
    citations: ['Sauer, Lorenz, Blattmann, Rombach 2023, arXiv 2311.17042'],
  },
  {
    method: 'Distribution matching distillation (DMD)',
    learns:
      "a 1-step generator whose output distribution matches the teacher's: gradient = difference of a real score (the teacher) and a fake score (trained on the generator's outputs), plus a regression loss on teacher ODE pairs",
    steps: '1',
    cost: 'two score networks besides the generator, and a set of noise-image pairs precomputed with the teacher',
    inCourse: 'published numbers (notebooks 05 and 07)',
    citations: ['Yin et al., CVPR 2024, arXiv 2311.18828'],
  },
  {
    method: 'Rectified flow / InstaFlow',
    learns:
      'straighter ODE paths: re-trained ("reflowed") on noise-image pairs from its own ODE, then distilled to one step',
    steps: '1',
    cost: 'pair generation with the teacher ODE, a reflow round, then distillation',
    inCourse: 'published numbers (notebook 05, InstaFlow-0.9B)',
    citations: ['Liu, Gong, Liu, ICLR 2023, arXiv 2209.03003', 'Liu et al., ICLR 2024, arXiv 2309.06380'],
  },
]);

/** Quality of one sampling method (JSON data only, so that it can be cached). */
export interface QualityRow {
  name: string;
  family: string;
  steps: number;
  guidance: number;
  /** Images generated: one per reference prompt, image i with seed 1000 + i. */
  images: number;
  /** Frechet distance in the evaluator's feature space to the real scenes (with an evaluator). */
  frechet?: number;
  /** Mean fraction of the prompt's attributes the evaluator finds (with an evaluator). */
  adherence?: number;
  allCorrect?: number;
  /** PSNR / SSIM of the first images against `against` (when given). */
  psnrDb?: number;
  ssim?: number;
  pairs?: number;
  /** The first `keepSamples` images, base64 PNGs. */
  samples?: string[];
  /** Wall-clock seconds of generation and scoring. */
  seconds: number;
}

/** Options of `measureQualityRow`. */
export interface QualityRowOptions {
  /** Image i is made for reference.prompts[i] with seed 1000 + i. */
  reference: SceneReference;
  /** Use only the first `images` prompts of the reference (default all; the evaluator needs all). */
  images?: number;
  evaluator?: SceneEvaluator;
  /** The evaluator's features of the reference's real scenes (saves a run per row). */
  referenceFeatures?: Float32Array;
  /** Reference PNGs (e.g. the 50-step images of the first prompts) for PSNR and SSIM. */
  against?: readonly Uint8Array[];
  /** Keep the first k images in the row (default 0). */
  keepSamples?: number;
  /** Images per generate() call (default 25). */
  batchSize?: number;
  pipelines?: PipelineCache;
}

const sharedPipelines = new PipelineCache();

/**
 * Generates one image per reference prompt with `spec` (seed 1000 + i, as `npm run eval:models`)
 * and scores them: Frechet distance and adherence with the evaluator (`scoreImages`, all reference
 * prompts), PSNR and SSIM against `against` (`pairQuality`). No timing (see `measureMethod`).
 */
export async function measureQualityRow(spec: MethodSpec, options: QualityRowOptions): Promise<QualityRow> {
  prepareMethod(spec);
  if (options === null || typeof options !== 'object' || !options.reference)
    throw new InvalidArgumentError('options.reference', options?.reference, 'a SceneReference (its prompts)');
  const ref = options.reference;
  const n = requireInteger('images', options.images ?? ref.n, 1, ref.n);
  if (options.evaluator && n !== ref.n)
    throw new InvalidArgumentError('images', n, `all ${ref.n} reference prompts when an evaluator scores them`);
  if (options.against && options.against.length > n)
    throw new InvalidArgumentError(
      'against',
      options.against.length,
      `at most ${n} reference images (one per generated image)`,
    );
  const keep = requireInteger('keepSamples', options.keepSamples ?? 0, 0, n);
  const t0 = performance.now();
  const pipe = await (options.pipelines ?? sharedPipelines).get(spec.dir);
  const row: QualityRow = {
    name: spec.name,
    family: spec.family,
    steps: spec.steps,
    guidance: spec.guidance,
    images: n,
    seconds: 0,
  };
  if (options.evaluator) {
    const q = await scoreMethodCached(spec, pipe, ref, options.evaluator, {
      referenceFeatures: options.referenceFeatures,
      batchSize: options.batchSize,
    });
    row.frechet = q.frechet;
    row.adherence = q.adherence;
    row.allCorrect = q.allCorrect;
  }
  // PSNR/SSIM pairs and kept samples need only the first images (image i is seed 1000 + i).
  const needed = Math.max(keep, options.against?.length ?? 0);
  if (needed > 0) {
    const pngs = await generateForPrompts(
      pipe,
      spec,
      ref.prompts.slice(0, needed),
      options.batchSize ?? 25,
      options.evaluator ? ref.size : undefined,
    );
    if (options.against && options.against.length > 0) Object.assign(row, await pairQuality(pngs, options.against));
    if (keep > 0) row.samples = pngs.slice(0, keep).map((p) => Buffer.from(p).toString('base64'));
  }
  row.seconds = (performance.now() - t0) / 1000;
  return row;
}

/**
 * `measureQualityRow` through the measurement cache (`cached`): the key holds the notebook, the
 * method's model fingerprint and sampler settings, the reference (seed, images), whether an
 * evaluator scored, the number of PSNR/SSIM pairs and `settings.against` (a name for the reference
 * images, e.g. "DPM-Solver++ 50"). FEWSTEP_FORCE=1 recomputes.
 */
export async function measureQualityRowCached(
  spec: MethodSpec,
  options: QualityRowOptions,
  settings: { notebook: string; against?: string },
): Promise<QualityRow> {
  const key = {
    notebook: settings.notebook,
    what: 'qualityRow',
    model: await methodFingerprint(spec),
    method: {
      name: spec.name,
      family: spec.family,
      steps: spec.steps,
      guidance: spec.guidance,
      scheduler: spec.scheduler ?? null,
    },
    referenceSeed: options.reference.seed,
    referenceSize: options.reference.size,
    images: options.images ?? options.reference.n,
    evaluator: options.evaluator !== undefined,
    pairs: options.against?.length ?? 0,
    against: settings.against ?? null,
    keepSamples: options.keepSamples ?? 0,
  };
  return cached(key, () => measureQualityRow(spec, options), {
    name: `nb${settings.notebook}-quality`.replace(/[^A-Za-z0-9_-]/g, '-'),
  });
}

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
