/**
 * Measuring sampling methods for the speed/quality comparisons of the course (notebook 05, Pareto
 * analysis; notebook 06, distillation): one `MethodSpec` (model folder + sampler + step count +
 * guidance) in, one JSON-ready `MethodMeasurement` out: time per image from the bench harness and
 * quality from the scene evaluator (Frechet distance, prompt adherence) or, where there is no
 * evaluator, PSNR against reference images. Pipelines stay open between calls (a small cache by
 * folder); call `releaseMeasurePipelines()` at the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchmark } from '../bench/benchmark.js';
import { benchmarkInterleaved } from '../bench/interleaved.js';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { decodeImage } from '../image/tensorPng.js';
import { cached } from '../evaluation/cache.js';
import { modelFingerprint } from '../evaluation/fingerprint.js';
import { methodFingerprint } from '../evaluation/key.js';
import type { TimeStats } from '../evaluation/result.js';
import { PSNR_CAP_DB } from '../evaluation/session.js';
import { psnr } from '../metrics/psnr.js';
import { ssim } from '../metrics/ssim.js';
import { paretoFrontIndices } from '../pareto/front.js';
import { kneePoint } from '../pareto/knee.js';
import type { PlotlyFigure } from '../plots/figure.js';
import { paretoChart } from '../plots/paretoChart.js';
import { fuseLcmLoraFolder } from '../onnx/loraFolder.js';
import { loadPipeline, type LoadPipelineOptions, type TextToImagePipeline } from '../onnx/pipeline.js';
import type { SchedulerConfig } from '../samplers/types.js';
import { scoreImages, type ImageSetQuality, type SceneEvaluator, type SceneReference } from '../quality/sceneEvaluator.js';
import { generateImageSet } from '../onnx/imageSet.js';
import { COURSE_PROMPT, DPM_SOLVER_PP, type CoursePlan } from './plan.js';
import { packageRoot } from '../core/packageRoot.js';
import { citationText, type PublishedResult } from './published.js';

/** One point of a sweep: which model folder samples, with which scheduler, how many steps and what guidance. */
export interface MethodSpec {
  /** Label for legends and tables, e.g. "LCM 4" or "DDIM 25". */
  name: string;
  /** The method family, one line per family in charts: 'DDIM', 'DPM-Solver++', 'LCM', 'LCM-LoRA', 'PD', 'Turbo', ... */
  family: string;
  /** Model folder (diffusers/optimum ONNX layout). For LCM-LoRA it is made on first use from `lcmLora`. */
  dir: string;
  steps: number;
  /** Classifier-free guidance scale (LCM: the embedded w + 1; 0 or 1 = no second UNet pass). */
  guidance: number;
  /** Scheduler config keys overriding the model's own (e.g. DDIM or DPM-Solver++ on the teacher). */
  scheduler?: SchedulerConfig;
  /** LCM-LoRA: `dir` is the teacher with this LoRA fused in (fuseLcmLoraFolder), written when missing. */
  lcmLora?: { teacherDir: string; loraFile: string };
}

/** What `measureMethod` found (JSON data only, so it can go through `cached`). */
export interface MethodMeasurement {
  spec: MethodSpec;
  /** Wall time of one batch-1 generate() of the timing prompt, end to end (text encoder, UNet, VAE, PNG). */
  msPerImage: TimeStats;
  /** Images generated for the quality metrics (0 when there is no reference). */
  images: number;
  /** Frechet distance in the evaluator's feature space to the real reference scenes (lower is better). */
  frechet?: number;
  /** Mean fraction of the prompt's attributes the evaluator finds (higher is better). */
  adherence?: number;
  /** Fraction of images with every attribute right. */
  allCorrect?: number;
  /** Mean PSNR (dB) of the first images against `psnrAgainst` (same prompts and seeds). */
  psnrDb?: number;
  /** The first `keepSamples` images as base64 PNGs. */
  samples?: string[];
  /** Wall-clock seconds the measurement took (generation + scoring + timing). */
  seconds: number;
}

/** Options of `measureMethod`. */
export interface MeasureOptions {
  /** Prompts (and real scenes) of the quality run: image i is made for reference.prompts[i] with seed 1000 + i. */
  reference?: SceneReference;
  /** The scene evaluator; without it no Frechet distance or adherence is computed. */
  evaluator?: SceneEvaluator;
  /** The evaluator's features of `reference.pixels` (saves running it again for every method). */
  referenceFeatures?: Float32Array;
  /** Timed batch-1 runs (default 5) after `timingWarmup` untimed ones (default 1). */
  timingRepeats?: number;
  timingWarmup?: number;
  /** Prompt of the timing runs (default the course prompt); its seed is 0. */
  timingPrompt?: string;
  /** Images per generate() call of the quality run (default 25). */
  batchSize?: number;
  /** Reference PNGs for PSNR, image k made with reference.prompts[k] and seed 1000 + k (e.g. a 50-step run). */
  psnrAgainst?: readonly Uint8Array[];
  /** Keep the first k generated images in the result (default 0). */
  keepSamples?: number;
  /** Pipelines to reuse (default: the module's shared cache). */
  pipelines?: PipelineCache;
}

/** Loaded pipelines by model folder, so that a sweep loads each model once. */
export class PipelineCache {
  private readonly open = new Map<string, Promise<TextToImagePipeline>>();

  constructor(private readonly loadOptions: LoadPipelineOptions = { log: () => {} }) {}

  /** The pipeline of `dir`, loaded on first use. */
  get(dir: string): Promise<TextToImagePipeline> {
    const key = path.resolve(dir);
    let p = this.open.get(key);
    if (p === undefined) {
      p = loadPipeline(dir, this.loadOptions);
      this.open.set(key, p);
      p.catch(() => this.open.delete(key));
    }
    return p;
  }

  /** How many pipelines are open. */
  get size(): number {
    return this.open.size;
  }

  /** Releases every open pipeline (ONNX sessions) and forgets them. */
  async release(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) {
      try {
        await (await p).release();
      } catch {
        // a pipeline that failed to load has nothing to release
      }
    }
  }
}

const sharedPipelines = new PipelineCache();

/** Releases the pipelines that `measureMethod` kept open in its shared cache. */
export async function releaseMeasurePipelines(): Promise<void> {
  await sharedPipelines.release();
}

/** Throws InvalidArgumentError unless `spec` is a usable MethodSpec. */
export function validateMethodSpec(spec: MethodSpec): void {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('spec', spec, 'a MethodSpec {name, family, dir, steps, guidance}');
  for (const key of ['name', 'family', 'dir'] as const) {
    if (typeof spec[key] !== 'string' || spec[key].trim() === '') throw new InvalidArgumentError(`spec.${key}`, spec[key], 'a non-empty string');
  }
  requireInteger('spec.steps', spec.steps, 1, 1000);
  if (typeof spec.guidance !== 'number' || !Number.isFinite(spec.guidance) || spec.guidance < 0) {
    throw new InvalidArgumentError('spec.guidance', spec.guidance, 'a finite number >= 0');
  }
}

/** LCM-LoRA folders fused by this process (so a stale folder of an earlier run or model is never used). */
const fusedThisProcess = new Set<string>();

/**
 * Validates `spec` and, for LCM-LoRA, writes its fused folder (teacher + LoRA, `fuseLcmLoraFolder`)
 * the first time this process needs it; later calls reuse it. Returns the spec.
 */
export function prepareMethod(spec: MethodSpec): MethodSpec {
  validateMethodSpec(spec);
  if (spec.lcmLora && !fusedThisProcess.has(path.resolve(spec.dir))) {
    fuseLcmLoraFolder(spec.lcmLora.teacherDir, spec.lcmLora.loraFile, spec.dir);
    fusedThisProcess.add(path.resolve(spec.dir));
  }
  return spec;
}

/** Deletes the fused LCM-LoRA folders of `specs` (call after the sweep, once their pipelines are released). */
export function removePreparedFolders(specs: readonly MethodSpec[]): void {
  for (const s of specs) {
    if (!s.lcmLora) continue;
    fs.rmSync(s.dir, { recursive: true, force: true });
    fusedThisProcess.delete(path.resolve(s.dir));
  }
}

/** Decodes a PNG into [0, 1] values. */
/** Mean PSNR (dB, data range 255) and mean SSIM of image k against reference k, over the references given. */
export interface PairQuality {
  psnrDb: number;
  ssim: number;
  /** Number of image pairs. */
  pairs: number;
}

/**
 * Compares `images[k]` with `references[k]` for every reference (same prompt and seed): mean PSNR
 * (capped at PSNR_CAP_DB) and mean SSIM (Wang et al. 2004; `ssim`; NaN with `{ ssim: false }`) on
 * the 8-bit RGB pixels.
 */
export async function pairQuality(images: readonly Uint8Array[], references: readonly Uint8Array[], options: { ssim?: boolean } = {}): Promise<PairQuality> {
  if (!Array.isArray(references) || references.length === 0) throw new InvalidArgumentError('references', references, 'a non-empty array of PNGs');
  if (!Array.isArray(images) || images.length < references.length) {
    throw new InvalidArgumentError('images', images?.length, `at least one image per reference (${references.length})`);
  }
  let psnrSum = 0;
  let ssimSum = 0;
  for (let k = 0; k < references.length; k++) {
    const a = await decodeImage(images[k], { channels: 3 });
    const b = await decodeImage(references[k], { channels: 3 });
    if (a.width !== b.width || a.height !== b.height) {
      throw new InvalidArgumentError(`images[${k}]`, `${a.width}x${a.height}`, `the size of references[${k}] (${b.width}x${b.height})`);
    }
    psnrSum += Math.min(PSNR_CAP_DB, psnr(a.data, b.data, { dataRange: 255 }));
    if (options.ssim !== false) ssimSum += ssim(a.data, b.data, { width: a.width, height: a.height, channels: 3, layout: 'hwc', dataRange: 255 });
  }
  return { psnrDb: psnrSum / references.length, ssim: options.ssim === false ? NaN : ssimSum / references.length, pairs: references.length };
}

/** Mean PSNR (dB) of `images[k]` against `references[k]` over the references given (pairQuality without SSIM). */
export async function meanPsnr(images: readonly Uint8Array[], references: readonly Uint8Array[]): Promise<number> {
  return (await pairQuality(images, references, { ssim: false })).psnrDb;
}

/**
 * Generates one image per prompt for a method, image i with seed 1000 + i (as `npm run eval:models`
 * does; generateImageSet), in batches of `batchSize`, at `size` x `size` pixels (default: native).
 */
export async function generateForPrompts(pipe: TextToImagePipeline, spec: MethodSpec, prompts: readonly string[], batchSize = 25, size?: number): Promise<Uint8Array[]> {
  return generateImageSet(pipe, prompts, { steps: spec.steps, guidance: spec.guidance, scheduler: spec.scheduler, width: size, height: size, batchSize });
}

/**
 * Frechet distance and adherence of a method's image set (one image per reference prompt, seed
 * 1000 + i) through the measurement cache, keyed by what the numbers depend on: the method's model
 * fingerprint and sampler settings, the reference (seed, size, count) and the evaluator's
 * fingerprint, but not the notebook: notebooks that score the same method share the images' score
 * (05 and 06 both score the PD students and LCM). FEWSTEP_FORCE=1 recomputes.
 */
export async function scoreMethodCached(
  spec: MethodSpec,
  pipe: TextToImagePipeline,
  reference: SceneReference,
  evaluator: SceneEvaluator,
  options: { referenceFeatures?: Float32Array; batchSize?: number } = {},
): Promise<ImageSetQuality> {
  const batchSize = options.batchSize ?? 25;
  const key = {
    what: 'imageSetScore',
    model: await methodFingerprint(spec),
    steps: spec.steps, guidance: spec.guidance, scheduler: spec.scheduler ?? null,
    reference: { seed: reference.seed, size: reference.size, n: reference.n },
    evaluator: await modelFingerprint(evaluator.dir),
    batchSize,
  };
  return cached(key, async () => {
    const pngs = await generateForPrompts(pipe, spec, reference.prompts, batchSize, reference.size);
    return scoreImages(evaluator, pngs, reference, options.referenceFeatures);
  }, { name: 'image-set-score' });
}

/**
 * Measures one method: time per image (median and IQR of `timingRepeats` batch-1 generate() runs of
 * the timing prompt, via the bench harness) and, when a reference is given, quality of one image per
 * reference prompt (seed 1000 + i): Frechet distance and prompt adherence with the evaluator
 * (`scoreImages`), PSNR against `psnrAgainst`. The result is JSON data.
 */
export async function measureMethod(spec: MethodSpec, options: MeasureOptions = {}): Promise<MethodMeasurement> {
  prepareMethod(spec);
  const t0 = performance.now();
  const pipes = options.pipelines ?? sharedPipelines;
  const pipe = await pipes.get(spec.dir);
  const repeats = requireInteger('timingRepeats', options.timingRepeats ?? 5, 1, 10_000);
  const warmup = requireInteger('timingWarmup', options.timingWarmup ?? 1, 0, 1000);
  const keep = requireInteger('keepSamples', options.keepSamples ?? 0, 0, 10_000);
  if (options.evaluator && !options.reference) throw new InvalidArgumentError('reference', undefined, 'a SceneReference when an evaluator is given');
  if (options.psnrAgainst && !options.reference) throw new InvalidArgumentError('reference', undefined, 'a SceneReference (its prompts) when psnrAgainst is given');
  const result: MethodMeasurement = { spec: jsonSpec(spec), msPerImage: { medianMs: NaN, q1Ms: NaN, q3Ms: NaN, iqrMs: NaN, n: 0 }, images: 0, seconds: 0 };

  const ref = options.reference;
  if (ref) {
    const size = options.evaluator ? ref.size : undefined;
    if (options.evaluator) {
      const q = await scoreMethodCached(spec, pipe, ref, options.evaluator, { referenceFeatures: options.referenceFeatures, batchSize: options.batchSize });
      result.images = ref.n;
      result.frechet = q.frechet;
      result.adherence = q.adherence;
      result.allCorrect = q.allCorrect;
    }
    // PSNR pairs and kept samples need only the first images (the same seeds: image i is seed 1000 + i).
    const needed = Math.min(ref.n, Math.max(keep, options.psnrAgainst?.length ?? 0));
    if (needed > 0) {
      const pngs = await generateForPrompts(pipe, spec, ref.prompts.slice(0, needed), options.batchSize ?? 25, size);
      if (!options.evaluator) result.images = pngs.length;
      if (options.psnrAgainst) result.psnrDb = await meanPsnr(pngs, options.psnrAgainst);
      if (keep > 0) result.samples = pngs.slice(0, keep).map((p) => Buffer.from(p).toString('base64'));
    }
  }

  const request = { prompt: options.timingPrompt ?? COURSE_PROMPT, seed: 0, steps: spec.steps, guidance: spec.guidance, scheduler: spec.scheduler };
  const stats = await benchmark(() => pipe.generate(request), { warmup, repeats });
  result.msPerImage = { medianMs: stats.medianMs, q1Ms: stats.q1Ms, q3Ms: stats.q3Ms, iqrMs: stats.iqrMs, n: stats.n };
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** Options of `timeMethodsInterleaved`. */
export interface InterleavedTimingOptions {
  /** Timed rounds (default 9); each round runs every method once. */
  rounds?: number;
  /** Untimed rounds first (default 1). */
  warmupRounds?: number;
  /** Prompt of the timed runs (default the course prompt); seed 0, batch size 1. */
  prompt?: string;
  /** Pipelines to reuse (default: the module's shared cache). */
  pipelines?: PipelineCache;
}

/**
 * Time per image of several methods, measured in interleaved rounds (round r runs method 1, 2, ...,
 * n once each, batch size 1, end to end): a burst of load on a shared machine then slows one round of
 * every method instead of all runs of one method, so the medians stay comparable. Returns one
 * TimeStats (median and quartiles over the rounds) per spec, in order.
 */
export async function timeMethodsInterleaved(specs: readonly MethodSpec[], options: InterleavedTimingOptions = {}): Promise<TimeStats[]> {
  if (!Array.isArray(specs) || specs.length === 0) throw new InvalidArgumentError('specs', specs, 'a non-empty array of MethodSpec');
  const rounds = requireInteger('rounds', options.rounds ?? 9, 1, 10_000);
  const warmupRounds = requireInteger('warmupRounds', options.warmupRounds ?? 1, 0, 1000);
  const pipes = options.pipelines ?? sharedPipelines;
  const runs: (() => Promise<unknown>)[] = [];
  for (const spec of specs) {
    prepareMethod(spec);
    const pipe = await pipes.get(spec.dir);
    const request = { prompt: options.prompt ?? COURSE_PROMPT, seed: 0, steps: spec.steps, guidance: spec.guidance, scheduler: spec.scheduler };
    runs.push(() => pipe.generate(request));
  }
  const timed = await benchmarkInterleaved(runs.map((run, k) => ({ id: `${k}: ${specs[k].name}`, run })), { warmup: warmupRounds, repeats: rounds });
  return timed.map(({ stats: s }) => ({ medianMs: s.medianMs, q1Ms: s.q1Ms, q3Ms: s.q3Ms, iqrMs: s.iqrMs, n: s.n }));
}

/** Copies of `measurements` with `msPerImage` replaced by `times[k]` (e.g. from timeMethodsInterleaved over the same specs). */
export function withTimes(measurements: readonly MethodMeasurement[], times: readonly TimeStats[]): MethodMeasurement[] {
  if (!Array.isArray(times) || times.length !== measurements.length) {
    throw new InvalidArgumentError('times', Array.isArray(times) ? times.length : times, `one TimeStats per measurement (${measurements.length})`);
  }
  return measurements.map((m, k) => ({ ...m, msPerImage: { ...times[k] } }));
}

/** The spec as plain JSON (scheduler copied, undefined keys dropped). */
function jsonSpec(spec: MethodSpec): MethodSpec {
  return JSON.parse(JSON.stringify(spec)) as MethodSpec;
}

/**
 * `measureMethod` through the measurement cache: the key holds the notebook id, the method's model
 * fingerprint, its sampler settings and `settings` (image count, evaluator fingerprint, timing
 * repeats, ...: everything else the numbers depend on). FEWSTEP_FORCE=1 recomputes.
 */
export async function measureMethodCached(spec: MethodSpec, options: MeasureOptions, settings: { notebook: string } & Record<string, unknown>): Promise<MethodMeasurement> {
  const key = {
    ...settings,
    what: 'measureMethod',
    model: await methodFingerprint(spec),
    method: { name: spec.name, family: spec.family, steps: spec.steps, guidance: spec.guidance, scheduler: spec.scheduler ?? null },
    images: options.reference?.n ?? 0,
    referenceSeed: options.reference?.seed ?? null,
    evaluator: options.evaluator !== undefined,
    psnrImages: options.psnrAgainst?.length ?? 0,
    timing: { repeats: options.timingRepeats ?? 5, warmup: options.timingWarmup ?? 1, prompt: options.timingPrompt ?? COURSE_PROMPT },
    keepSamples: options.keepSamples ?? 0,
  };
  const safeName = `nb${settings.notebook}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
  return cached(key, () => measureMethod(spec, options), { name: safeName });
}

/** Which step counts `shippedMethods` sweeps per family (an empty list leaves the family out). */
export interface SweepChoice {
  ddim?: readonly number[];
  dpmSolver?: readonly number[];
  /** The plan's few-step model (LCM or Turbo) with its own scheduler. */
  fewStep?: readonly number[];
  lcmLora?: readonly number[];
  /** Progressive-distillation students: each samples at its own step count; list the counts to keep. */
  progressive?: readonly number[];
  /** Where the fused LCM-LoRA folder goes (default out/lcm-lora-fused under the package root). */
  lcmLoraDir?: string;
}

/** The default sweep of `shippedMethods`: every family at the step counts where it is interesting (notebook 05 runs a trimmed subset to fit its time budget). */
export const DEFAULT_SWEEP: Readonly<Required<Omit<SweepChoice, 'lcmLoraDir'>>> = Object.freeze({
  ddim: [2, 4, 8, 15, 25],
  dpmSolver: [4, 8, 15],
  fewStep: [1, 2, 4, 8],
  lcmLora: [2, 4, 8],
  progressive: [1, 2, 4, 8],
});

/** DDIM on the teacher with the rest of the model's own scheduler config (Stable Diffusion's: "leading" spacing, as `npm run eval:models` and the LCM paper's baselines use). */
export const DDIM_MODEL_CONFIG: SchedulerConfig = Object.freeze({ _class_name: 'DDIMScheduler' });

/**
 * The methods of a speed/quality sweep for a course plan: teacher with DDIM and DPM-Solver++
 * (teacher guidance), the few-step model (LCM or Turbo, its own scheduler and guidance), LCM-LoRA
 * fused into the teacher (guidance 1, LCMScheduler) and the progressive-distillation students
 * (guidance 0, their own step counts) - each only where the plan has the model. Pass `choice` to
 * change the step counts; families the plan lacks are left out silently (check the result).
 */
export function shippedMethods(plan: CoursePlan, choice: SweepChoice = {}): MethodSpec[] {
  const pick = (key: keyof typeof DEFAULT_SWEEP): number[] => {
    const list = choice[key] ?? DEFAULT_SWEEP[key];
    if (!Array.isArray(list)) throw new InvalidArgumentError(`choice.${key}`, list, 'an array of step counts');
    list.forEach((s, i) => requireInteger(`choice.${key}[${i}]`, s, 1, 1000));
    return [...list];
  };
  const out: MethodSpec[] = [];
  const t = plan.teacher;
  if (t) {
    for (const steps of pick('ddim')) out.push({ name: `DDIM ${steps}`, family: 'DDIM', dir: t.dir, steps, guidance: t.defaults.guidance, scheduler: { ...DDIM_MODEL_CONFIG } });
    for (const steps of pick('dpmSolver')) out.push({ name: `DPM-Solver++ ${steps}`, family: 'DPM-Solver++', dir: t.dir, steps, guidance: t.defaults.guidance, scheduler: { ...DPM_SOLVER_PP } });
  }
  const f = plan.fewStep;
  if (f) {
    const family = f.family === 'turbo' ? 'Turbo' : 'LCM';
    for (const steps of pick('fewStep')) out.push({ name: `${family} ${steps}`, family, dir: f.dir, steps, guidance: f.defaults.guidance });
  }
  if (t && plan.lcmLora) {
    const dir = choice.lcmLoraDir ?? path.join(packageRoot(), 'out', 'lcm-lora-fused');
    for (const steps of pick('lcmLora')) out.push({ name: `LCM-LoRA ${steps}`, family: 'LCM-LoRA', dir, steps, guidance: 1, lcmLora: { teacherDir: t.dir, loraFile: plan.lcmLora } });
  }
  const wanted = pick('progressive');
  for (const p of plan.progressive.filter((x) => wanted.includes(x.steps))) out.push({ name: `PD ${p.steps}`, family: 'PD', dir: p.dir, steps: p.steps, guidance: 0 });
  return out;
}

/** Which quality a speed/quality analysis uses. */
export type QualityMetric = 'frechet' | 'psnr';

/** A measurement as a Pareto point: cost = median ms per image, quality = -FD (or PSNR), so both `paretoFront` conventions hold. */
export interface MeasuredPoint {
  cost: number;
  quality: number;
  measurement: MethodMeasurement;
}

/**
 * Pareto points of measurements (minimise time; minimise Frechet distance, i.e. maximise -FD, or
 * maximise PSNR). Measurements without the metric are left out.
 */
export function measuredPoints(measurements: readonly MethodMeasurement[], metric: QualityMetric): MeasuredPoint[] {
  const out: MeasuredPoint[] = [];
  for (const m of measurements) {
    const q = metric === 'frechet' ? (m.frechet === undefined ? undefined : -m.frechet) : m.psnrDb;
    if (q !== undefined && Number.isFinite(q) && Number.isFinite(m.msPerImage.medianMs)) out.push({ cost: m.msPerImage.medianMs, quality: q, measurement: m });
  }
  return out;
}

/** Hover text of a measurement: method, steps, time (median, IQR), FD, adherence, PSNR where known. */
export function measurementHover(m: MethodMeasurement): string {
  const parts = [
    `${m.spec.family}, ${m.spec.steps} step${m.spec.steps === 1 ? '' : 's'}, guidance ${m.spec.guidance}`,
    `time ${m.msPerImage.medianMs.toFixed(2)} ms/image (IQR ${m.msPerImage.iqrMs.toFixed(2)})`,
  ];
  if (m.frechet !== undefined) parts.push(`FD ${m.frechet.toFixed(2)} (${m.images} images)`);
  if (m.adherence !== undefined) parts.push(`adherence ${(100 * m.adherence).toFixed(1)}%`);
  if (m.psnrDb !== undefined) parts.push(`PSNR ${m.psnrDb.toFixed(2)} dB`);
  return parts.join('<br>');
}

/** Options of `measuredParetoChart`. */
export interface MeasuredParetoChartOptions {
  title: string;
  metric: QualityMetric;
  /** Where the numbers come from (machine, image count, ...); the chart says 'measured'. */
  source: string;
  /** Log-scale time axis (default true). */
  logX?: boolean;
  /** Log-scale quality axis (default false), e.g. for FDs spanning 10 to 100+. */
  logY?: boolean;
}

/**
 * The speed/quality chart of measurements: every method in grey, the Pareto front (minimise time and
 * FD, or maximise PSNR) as a staircase, the knee (Kneedle, `kneePoint`) as a star; hover shows method,
 * steps, time, FD, adherence. Time on x (ms per image), the metric itself on y (FD: lower is better).
 * Returns the figure with the front (by ascending time) and the knee.
 */
export function measuredParetoChart(points: readonly MeasuredPoint[], options: MeasuredParetoChartOptions): { figure: PlotlyFigure; front: MeasuredPoint[]; knee: MeasuredPoint } {
  if (!Array.isArray(points) || points.length === 0) throw new InvalidArgumentError('points', points, 'at least one measured point (measuredPoints of the sweep)');
  const frontIdx = paretoFrontIndices(points);
  const knee = kneePoint(points);
  const yOf = (p: MeasuredPoint) => (options.metric === 'frechet' ? -p.quality : p.quality);
  const figure = paretoChart({
    title: options.title,
    points: points.map((p) => ({ x: p.cost, y: yOf(p), label: p.measurement.spec.name })),
    frontIndices: frontIdx,
    kneeIndex: knee.index,
    xTitle: 'time per image, ms (median, batch 1)',
    yTitle: options.metric === 'frechet' ? 'Frechet distance (lower is better)' : 'PSNR vs the 50-step reference, dB (higher is better)',
    logX: options.logX ?? true,
    staircase: true,
    provenance: 'measured',
    source: options.source,
  });
  if (options.logY) figure.layout = { ...figure.layout, yaxis: { ...figure.layout.yaxis, type: 'log' } };
  // Richer hover than the builder's x/y: one line per fact, aligned with each trace's points.
  const sortedFront = [...frontIdx].sort((a, b) => points[a].cost - points[b].cost || yOf(points[a]) - yOf(points[b]));
  const traceIndices = [points.map((_, i) => i), sortedFront, [knee.index]];
  figure.data.forEach((trace, k) => {
    const idx = traceIndices[k];
    if (idx === undefined) return;
    const t = trace as { customdata?: unknown; hovertemplate?: string };
    t.customdata = idx.map((i) => measurementHover(points[i].measurement));
    t.hovertemplate = '<b>%{text}</b><br>%{customdata}<extra></extra>';
  });
  return { figure, front: frontIdx.map((i) => points[i]), knee: points[knee.index] };
}

/** One published table's metric as lines (value vs steps, one per method), with its citation. */
export interface PublishedPanel {
  table: string;
  metric: string;
  better?: 'lower' | 'higher';
  protocol: string;
  /** "source, table (url or arXiv id)" (and "numbers read in a transcription" when a row is secondary). */
  citation: string;
  series: { name: string; x: number[]; y: number[] }[];
  /** Rows of this metric without a step count (e.g. the teacher's reference), as "method: value". */
  withoutSteps: string[];
}

/**
 * The rows of one published table with one metric (default the table's first FID-like metric: the
 * first metric of its rows), grouped by method into value-vs-steps series sorted by steps. Rows of
 * other metrics (CLIP score, latency) are not mixed in. Throws when the table has no such rows.
 */
export function publishedPanel(rows: readonly PublishedResult[], table: string, metric?: string): PublishedPanel {
  if (!Array.isArray(rows)) throw new InvalidArgumentError('rows', rows, 'the rows of data/published-results.json');
  const ofTable = rows.filter((r) => r.table === table);
  if (ofTable.length === 0) throw new InvalidArgumentError('table', table, `one of ${[...new Set(rows.map((r) => r.table))].join(', ')}`);
  const m = metric ?? ofTable[0].metric;
  const chosen = ofTable.filter((r) => r.metric === m);
  if (chosen.length === 0) throw new InvalidArgumentError('metric', m, `a metric of ${table}: ${[...new Set(ofTable.map((r) => r.metric))].join(', ')}`);
  const byMethod = new Map<string, { x: number[]; y: number[] }>();
  const withoutSteps: string[] = [];
  for (const r of chosen) {
    if (r.steps === null || r.steps === undefined) {
      withoutSteps.push(`${r.method}: ${r.value}`);
      continue;
    }
    const s = byMethod.get(r.method) ?? { x: [], y: [] };
    s.x.push(r.steps);
    s.y.push(r.value);
    byMethod.set(r.method, s);
  }
  const series = [...byMethod.entries()].map(([name, s]) => {
    const order = s.x.map((_, i) => i).sort((a, b) => s.x[a] - s.x[b]);
    return { name, x: order.map((i) => s.x[i]), y: order.map((i) => s.y[i]) };
  });
  const citation = `${citationText(chosen[0])}${chosen.some((r) => r.secondary) && !/transcription/.test(chosen[0].citation.table) ? ' (numbers read in a transcription of the table)' : ''}`;
  return { table, metric: m, better: chosen[0].better, protocol: chosen[0].protocol, citation, series, withoutSteps };
}
