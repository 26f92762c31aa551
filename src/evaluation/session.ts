/**
 * The one evaluation path: an `EvaluationSession` owns the pipelines, the scene evaluator, the real
 * reference scenes and the fused LCM-LoRA folders of one notebook (or CLI run) and releases them all
 * with `close()`. `evaluateMethod` measures quality (Frechet distance and adherence with the scene
 * evaluator, plus CLIPScore with the scenes-clip model when there is one, or PSNR/SSIM against a
 * reference method's images), `timeMethods` measures speed
 * (interleaved rounds, src/bench). Both go through the measurement cache with keys from
 * `measurementKey`, validate what they read, and say in the output when a number is a cache hit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchmarkInterleaved } from '../bench/interleaved.js';
import { stageBreakdown, type StageBreakdown } from '../bench/stages.js';
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { decodeImage, rawImageToPng, type RawImage } from '../image/tensorPng.js';
import { psnr } from '../metrics/psnr.js';
import { ssim } from '../metrics/ssim.js';
import { generateImagePixels } from '../onnx/imageSet.js';
import { fuseLcmLoraFolder } from '../onnx/loraFolder.js';
import { loadPipeline, unetEvaluationsPerStep, type TextToImagePipeline } from '../onnx/pipeline.js';
import type { OnnxDevice } from '../onnx/providers.js';
import {
  EVAL_ATTRIBUTES,
  EVAL_SEED,
  pngsToPixels,
  promptAttributes,
  rawImagesToPixels,
  sceneReference,
  SceneEvaluator,
  type SceneReference,
} from '../quality/sceneEvaluator.js';
import { SceneClip } from '../quality/clipScore.js';
import { bootstrapFrechet, bootstrapMean, FrechetReference, type Interval } from './bootstrap.js';
import { cachedWithOutcome, canonicalJson, type CachedValue } from './cache.js';
import { describeMachine, machineIdentity, measurementKey, type MachineIdentity } from './key.js';
import { methodId, validateMethod, type Method } from './method.js';
import {
  pairProblems,
  promptQualityProblems,
  qualityProblems,
  samplesProblems,
  timeListProblems,
  type MethodResult,
  type PairStats,
  type MeasurementOrigin,
  type QualityStats,
  type TimeStats,
} from './result.js';

/** PSNR of identical images is infinite; means use this cap so that they stay finite. */
export const PSNR_CAP_DB = 100;
/** The course prompt, timed by default. */
const TIMING_PROMPT = 'a beautiful sunset over mountains, oil painting style, warm colors';
/**
 * Text-encoder results each pipeline keeps while measuring quality (8 batches of 25 prompts per
 * guidance mode at 200 images): methods on one model share the prompts, so the text encoder runs
 * once per batch of prompts, not once per method (same embeddings bit for bit). Timing turns it off.
 */
const QUALITY_TEXT_EMBEDDINGS = 16;

/** Options of `EvaluationSession.open`. */
export interface EvaluationOptions {
  /** Images per quality measurement: image i for reference prompt i, seed 1000 + i. */
  images: number;
  /** Scene evaluator folder: quality = Frechet distance + adherence. Without it quality is PSNR/SSIM vs `referenceMethod`. */
  evaluator?: string;
  /**
   * scenes-clip folder: the quality rows (with the evaluator) then carry CLIPScore too. Default: the
   * evaluator's sibling folder `scenes-clip` (models/scenes-clip) when it exists, else none (rows
   * without clipScore); `false`: none even when it exists. A folder given here must exist.
   */
  clip?: string | false;
  /** Whose images PSNR/SSIM compare with (same prompts and seeds), e.g. the teacher's 50-step DDIM. */
  referenceMethod?: Method;
  /** PSNR/SSIM pairs (default: `images` without an evaluator, 0 with one). */
  pairs?: number;
  /** Seed of the real reference scenes (default EVAL_SEED, held out from training). */
  referenceSeed?: number;
  /** Size of the reference scenes (default 64). */
  referenceSize?: number;
  /** Seed of image 0 (default 1000); image i gets firstSeed + i (validation sweeps use seeds no evaluation uses). */
  firstSeed?: number;
  /** ONNX device of the pipelines (default 'auto': CUDA when available, else CPU). */
  device?: OnnxDevice;
  /** Bootstrap resamples of the Frechet distance (default 40) and of means (default 1000). */
  bootstrapReps?: { frechet?: number; mean?: number };
  /** Where the session's lines go (cache hits, progress); default console.log. */
  log?: (line: string) => void;
  /** Cache folder (default: the measurement cache's default) and forced recomputation (default FEWSTEP_FORCE=1). */
  cacheDir?: string;
  force?: boolean;
  /** Folder for fused LCM-LoRA models (default: out/ under the package; one sub-folder per method). */
  workDir?: string;
}

/** Options of one quality evaluation. */
export interface EvaluateOptions {
  /** Keep the first k images in the result as base64 PNGs (default 0). */
  keepSamples?: number;
  /** Images per generate() call (default 25; does not change the images). */
  batchSize?: number;
  /**
   * PSNR/SSIM of the first `pairs` images against the session's reference method's images of the
   * same prompts and seeds (default: the session's `pairs`). Cached apart from the Frechet distance
   * and adherence, so a cached FD row is re-used whatever the pairs, and the other way round.
   */
  pairs?: number;
}

/** Options of `EvaluationSession.evaluatePrompts`. */
export interface PromptEvaluateOptions {
  /** Images per generate() call (default 25; does not change the images). */
  batchSize?: number;
  /** Seed of image 0 (default 1000): image i is made for prompts[i] with seed firstSeed + i. */
  firstSeed?: number;
}

/** Options of timeMethods. */
export interface TimeOptions {
  /** Timed interleaved rounds (default 9); each round runs every method once. */
  rounds?: number;
  /** Untimed rounds first (default 1). */
  warmupRounds?: number;
  /** Timed prompt (default the course prompt), seed 0. */
  prompt?: string;
  /**
   * After the timed rounds, more interleaved rounds of the methods whose timed runs add up to less
   * than this many milliseconds (default 0: off), so that cheap methods get steadier medians.
   */
  minTimeMs?: number;
  /** Most timed runs of one method when minTimeMs asks for more (default 50). */
  maxRuns?: number;
}

function originOf<T>(c: CachedValue<T>, machine: MachineIdentity): MeasurementOrigin {
  return { source: c.outcome === 'hit' ? 'cache hit' : 'measured now', measuredAt: c.createdAt, machine, file: c.file };
}

/** A stage breakdown of one call divided by its batch size (time per image). */
function perImageStages(s: StageBreakdown, batch: number): StageBreakdown {
  const out = { ...s };
  for (const k of Object.keys(out) as (keyof StageBreakdown)[]) out[k] = out[k] / batch;
  return out;
}

/** The sentence a cache hit prints: what, when and where it was measured. */
export function describeOrigin(what: string, p: MeasurementOrigin): string {
  const when = p.measuredAt.replace('T', ' ').slice(0, 16) + ' UTC';
  return p.source === 'cache hit'
    ? `${what}: cache hit, measured ${when} on ${describeMachine(p.machine)} (${path.basename(p.file ?? '')}; FEWSTEP_FORCE=1 measures again)`
    : `${what}: measured now on ${describeMachine(p.machine)}`;
}

/**
 * A bootstrap interval of a mean clipped to the range its values can take (e.g. adherence in [0, 1]):
 * the percentile interval is recentred on the estimate, which can push an end a hair past the range
 * when the values sit at its edge.
 */
export function clipInterval(i: Interval, min: number, max: number): Interval {
  return { ...i, low: Math.max(min, i.low), high: Math.min(max, i.high) };
}

/**
 * The scenes-clip folder a session opens: `options.clip` when it is a folder (which must then exist;
 * it needs the evaluator, whose quality rows carry the CLIPScore), none for `false`, else the
 * evaluator's sibling `scenes-clip` when that exists (models/scenes-clip next to models/scenes-evaluator).
 */
export function defaultClipDir(options: Pick<EvaluationOptions, 'evaluator' | 'clip'>): string | undefined {
  const c = options.clip;
  if (c === false) return undefined;
  if (c !== undefined) {
    if (typeof c !== 'string' || c.trim() === '')
      throw new InvalidArgumentError('options.clip', c, 'a scenes-clip folder, or false for none');
    if (!options.evaluator)
      throw new InvalidArgumentError(
        'options.clip',
        c,
        'a session with a scene evaluator (CLIPScore is part of its quality rows), or false',
      );
    return c;
  }
  if (!options.evaluator) return undefined;
  const sibling = path.join(path.dirname(path.resolve(options.evaluator)), 'scenes-clip');
  return fs.existsSync(path.join(sibling, 'config.json')) ? sibling : undefined;
}

/** Per-image fraction of the prompt's attributes the evaluator found. */
function perImageAdherence(
  predicted: readonly Record<string, unknown>[],
  prompts: readonly string[],
): { values: Float64Array; allCorrect: number } {
  const values = new Float64Array(predicted.length);
  let all = 0;
  predicted.forEach((p, i) => {
    const want = promptAttributes(prompts[i]) as Record<string, unknown>;
    const hits = EVAL_ATTRIBUTES.filter((a) => p[a] === want[a]).length;
    values[i] = hits / EVAL_ATTRIBUTES.length;
    if (hits === EVAL_ATTRIBUTES.length) all++;
  });
  return { values, allCorrect: all / predicted.length };
}

/** Per-pair PSNR (dB, capped at PSNR_CAP_DB) and SSIM of images[k] against references[k] on 8-bit RGB. */
export async function pairScores(
  images: readonly Uint8Array[],
  references: readonly Uint8Array[],
): Promise<{ psnrDb: Float64Array; ssim: Float64Array }> {
  if (!Array.isArray(references) || references.length === 0)
    throw new InvalidArgumentError('references', references, 'a non-empty array of PNGs');
  if (!Array.isArray(images) || images.length < references.length) {
    throw new InvalidArgumentError('images', images?.length, `at least one image per reference (${references.length})`);
  }
  const a: RawImage[] = [];
  const b: RawImage[] = [];
  for (let k = 0; k < references.length; k++) {
    a.push(await decodeImage(images[k], { channels: 3 }));
    b.push(await decodeImage(references[k], { channels: 3 }));
  }
  return pixelPairScores(a, b);
}

/** pairScores on 8-bit RGB pixels (generateImagePixels), without PNG decoding: the same numbers. */
export function pixelPairScores(
  images: readonly RawImage[],
  references: readonly RawImage[],
): { psnrDb: Float64Array; ssim: Float64Array } {
  if (!Array.isArray(references) || references.length === 0)
    throw new InvalidArgumentError('references', references, 'a non-empty array of RGB images');
  if (!Array.isArray(images) || images.length < references.length) {
    throw new InvalidArgumentError('images', images?.length, `at least one image per reference (${references.length})`);
  }
  const p = new Float64Array(references.length);
  const s = new Float64Array(references.length);
  for (let k = 0; k < references.length; k++) {
    const a = images[k];
    const b = references[k];
    if (a.channels !== 3 || b.channels !== 3)
      throw new InvalidArgumentError(`images[${k}].channels`, a.channels, 'RGB images (3 channels) on both sides');
    if (a.width !== b.width || a.height !== b.height) {
      throw new InvalidArgumentError(
        `images[${k}]`,
        `${a.width}x${a.height}`,
        `the size of references[${k}] (${b.width}x${b.height})`,
      );
    }
    p[k] = Math.min(PSNR_CAP_DB, psnr(a.data, b.data, { dataRange: 255 }));
    s[k] = ssim(a.data, b.data, { width: a.width, height: a.height, channels: 3, layout: 'hwc', dataRange: 255 });
  }
  return { psnrDb: p, ssim: s };
}

/** Pipelines, evaluator, reference and fused folders of one evaluation; see the file comment. */
export class EvaluationSession {
  private readonly pipes = new Map<string, Promise<TextToImagePipeline>>();
  private readonly fused = new Set<string>();
  private referenceFeatures?: FrechetReference;
  private referencePixels?: RawImage[];
  private machineId?: MachineIdentity;
  private closed = false;
  /** One line per cache hit and per fresh measurement, in order (also printed with `log`). */
  readonly provenanceLines: string[] = [];

  private constructor(
    readonly options: Readonly<EvaluationOptions>,
    /** The real scenes whose captions are the prompts (and, with an evaluator, the FD reference). */
    readonly reference: SceneReference,
    readonly evaluator: SceneEvaluator | undefined,
    private readonly log: (line: string) => void,
    /** The scenes-clip model behind the quality rows' CLIPScore (undefined: rows without it). */
    readonly clip: SceneClip | undefined,
  ) {}

  /** Opens a session: draws the reference scenes and opens the evaluator (if any); pipelines load on first use. */
  static async open(options: EvaluationOptions): Promise<EvaluationSession> {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', options, 'EvaluationOptions {images, evaluator?, referenceMethod?}');
    const images = requireInteger('options.images', options.images, 2, 100_000);
    if (options.firstSeed !== undefined) requireInteger('options.firstSeed', options.firstSeed, 0);
    if (!options.evaluator && !options.referenceMethod) {
      throw new InvalidArgumentError(
        'options.referenceMethod',
        undefined,
        'a reference method for PSNR/SSIM when there is no evaluator',
      );
    }
    if (options.referenceMethod) validateMethod(options.referenceMethod, 'options.referenceMethod');
    const pairs = requireInteger('options.pairs', options.pairs ?? (options.evaluator ? 0 : images), 0, images);
    if (pairs > 0 && !options.referenceMethod)
      throw new InvalidArgumentError(
        'options.referenceMethod',
        undefined,
        `a reference method for the ${pairs} PSNR/SSIM pairs`,
      );
    const reference = sceneReference(images, options.referenceSeed ?? EVAL_SEED, options.referenceSize ?? 64);
    const clipDir = defaultClipDir(options);
    const evaluator = options.evaluator ? await SceneEvaluator.open(options.evaluator) : undefined;
    let clip: SceneClip | undefined;
    try {
      clip = clipDir ? await SceneClip.load(clipDir) : undefined;
    } catch (e) {
      await evaluator?.release();
      throw e;
    }
    return new EvaluationSession(
      { ...options, pairs, clip: clipDir ?? false },
      reference,
      evaluator,
      options.log ?? ((l) => console.log(l)),
      clip,
    );
  }

  /** The folder of the session's scenes-clip model, or undefined when its rows carry no CLIPScore. */
  get clipDir(): string | undefined {
    return this.clip?.dir;
  }

  /** The model folders a quality key holds: the evaluator, and scenes-clip when the session has it. */
  private qualityModels(): Record<string, string> {
    return { evaluator: this.options.evaluator!, ...(this.clip ? { clip: this.clip.dir } : {}) };
  }

  private check(): void {
    if (this.closed)
      throw new InvalidArgumentError('session', 'closed', 'an open EvaluationSession (close() was called)');
  }

  /** Writes the fused LCM-LoRA folder of `m` (once per session) and returns `m`. */
  prepare(m: Method): Method {
    this.check();
    validateMethod(m);
    if (m.lcmLora && !this.fused.has(path.resolve(m.dir))) {
      fuseLcmLoraFolder(m.lcmLora.teacherDir, m.lcmLora.loraFile, m.dir);
      this.fused.add(path.resolve(m.dir));
    }
    return m;
  }

  /** The pipeline of a method's model folder, loaded on first use. */
  async pipeline(m: Method): Promise<TextToImagePipeline> {
    this.prepare(m);
    const key = path.resolve(m.dir);
    let p = this.pipes.get(key);
    if (p === undefined) {
      p = loadPipeline(m.dir, { device: this.options.device, log: () => {} });
      this.pipes.set(key, p);
      p.catch(() => this.pipes.delete(key));
    }
    return p;
  }

  /** UNet evaluations per image of a method: steps x unetEvaluationsPerStep(its pipeline's family, guidance). */
  async unetEvaluations(m: Method): Promise<number> {
    return m.steps * unetEvaluationsPerStep((await this.pipeline(m)).family, m.guidance);
  }

  /** Where this session measures: CPU model, cores and the execution provider of its pipelines (loads one if none is open). */
  async machine(probe: Method): Promise<MachineIdentity> {
    if (this.machineId === undefined) this.machineId = machineIdentity((await this.pipeline(probe)).provider);
    return this.machineId;
  }

  private note(what: string, p: MeasurementOrigin): void {
    const line = describeOrigin(what, p);
    this.provenanceLines.push(line);
    if (p.source === 'cache hit') this.log(line);
  }

  private async referenceImages(n: number): Promise<RawImage[]> {
    if (this.referencePixels === undefined || this.referencePixels.length < n) {
      const ref = this.options.referenceMethod!;
      this.referencePixels = await this.images(ref, n);
    }
    return this.referencePixels.slice(0, n);
  }

  /** The pipeline of `m` with the text-embedding reuse off, for timing (end to end, text encoder included). */
  private async timingPipeline(m: Method): Promise<TextToImagePipeline> {
    const pipe = await this.pipeline(m);
    pipe.textEmbeddingCacheSize = 0;
    return pipe;
  }

  /** Image i for reference prompt i, seed 1000 + i, as 8-bit RGB pixels (no PNG round trip). */
  private async images(m: Method, n: number, batchSize = 25): Promise<RawImage[]> {
    const pipe = await this.pipeline(m);
    if (pipe.textEmbeddingCacheSize < QUALITY_TEXT_EMBEDDINGS) pipe.textEmbeddingCacheSize = QUALITY_TEXT_EMBEDDINGS;
    const size = m.size ?? (this.evaluator ? this.reference.size : undefined);
    return generateImagePixels(pipe, this.reference.prompts.slice(0, n), {
      steps: m.steps,
      guidance: m.guidance,
      scheduler: m.scheduler,
      width: size,
      height: size,
      batchSize,
      firstSeed: this.options.firstSeed ?? 1000,
    });
  }

  /** The bootstrap settings every quality key holds. */
  private bootstrapSettings(): { frechet: number; mean: number; seed: number } {
    return {
      frechet: this.options.bootstrapReps?.frechet ?? 40,
      mean: this.options.bootstrapReps?.mean ?? 1000,
      seed: 0,
    };
  }

  /**
   * Quality of one method (see `evaluateMethod`): up to three cache rows, each keyed by
   * `measurementKey` on its own: 'quality' (Frechet distance and adherence, with an evaluator),
   * 'pairs' (PSNR/SSIM against the reference method) and 'samples' (the first images kept). Images
   * generated for one row are re-used for the others in the same call.
   */
  async evaluate(m: Method, o: EvaluateOptions = {}): Promise<MethodResult> {
    this.check();
    validateMethod(m);
    const keep = requireInteger('keepSamples', o.keepSamples ?? 0, 0, this.reference.n);
    const pairs = requireInteger('pairs', o.pairs ?? this.options.pairs ?? 0, 0, this.reference.n);
    const ref = this.options.referenceMethod;
    if (pairs > 0 && !ref)
      throw new InvalidArgumentError('pairs', pairs, '0 in a session without a referenceMethod (open it with one)');
    if (!this.evaluator && pairs === 0 && keep === 0)
      throw new InvalidArgumentError('pairs', pairs, 'at least 1 without a scene evaluator (or keepSamples > 0)');
    const machine = await this.machine(m);
    const common = {
      referenceSeed: this.reference.seed,
      referenceSize: this.reference.size,
      size: m.size ?? (this.evaluator ? this.reference.size : null),
      ...(this.options.firstSeed !== undefined && this.options.firstSeed !== 1000
        ? { firstSeed: this.options.firstSeed }
        : {}),
    };
    const cacheOptions = { dir: this.options.cacheDir, force: this.options.force };
    let fresh: RawImage[] | undefined;
    const imagesOf = async (n: number): Promise<RawImage[]> => {
      if (fresh === undefined || fresh.length < n) fresh = await this.images(m, n, o.batchSize);
      return fresh.slice(0, n);
    };
    const quality: QualityStats = { images: 0 };
    const provenance: MethodResult['provenance'] = {};
    if (this.evaluator) {
      const key = await measurementKey(
        'quality',
        [m],
        machine,
        {
          ...common,
          images: this.reference.n,
          evaluator: true,
          ...(this.clip ? { clipScore: true } : {}),
          bootstrap: this.bootstrapSettings(),
        },
        this.qualityModels(),
      );
      const c = await cachedWithOutcome<QualityStats>(
        key,
        async () => this.scoreQuality(await imagesOf(this.reference.n)),
        {
          ...cacheOptions,
          name: 'quality',
          validate: (v) => qualityProblems(v, { clipScore: this.clip !== undefined }),
        },
      );
      Object.assign(quality, c.value);
      provenance.quality = originOf(c, machine);
      this.note(`${m.name} quality`, provenance.quality);
    }
    if (pairs > 0) {
      const key = await measurementKey('pairs', [m, ref!], machine, {
        ...common,
        pairs,
        bootstrap: this.bootstrapSettings(),
      });
      const c = await cachedWithOutcome<PairStats>(key, async () => this.scorePairs(await imagesOf(pairs)), {
        ...cacheOptions,
        name: 'pairs',
        validate: pairProblems,
      });
      Object.assign(quality, c.value);
      if (!this.evaluator) quality.images = pairs;
      provenance.pairs = originOf(c, machine);
      if (!this.evaluator) provenance.quality = provenance.pairs;
      this.note(`${m.name} PSNR/SSIM vs ${ref!.name} (${pairs} pairs)`, provenance.pairs);
    }
    let samples: string[] | undefined;
    if (keep > 0) {
      const key = await measurementKey('samples', [m], machine, { ...common, count: keep });
      const c = await cachedWithOutcome<string[]>(
        key,
        async () => {
          const out: string[] = [];
          for (const p of await imagesOf(keep)) out.push((await rawImageToPng(p)).toString('base64'));
          return out;
        },
        { ...cacheOptions, name: 'samples', validate: (v) => samplesProblems(v, keep) },
      );
      samples = c.value;
    }
    const measured = this.evaluator !== undefined || pairs > 0;
    return {
      method: m,
      id: methodId(m),
      ...(measured ? { quality } : {}),
      ...(samples ? { samples } : {}),
      provenance,
    };
  }

  /** Frechet distance (bootstrap interval) and adherence of one image per reference prompt. */
  private async scoreQuality(pixels: readonly RawImage[]): Promise<QualityStats> {
    const reps = this.options.bootstrapReps ?? {};
    const ev = this.evaluator!;
    if (this.referenceFeatures === undefined) {
      const real = await ev.run(this.reference.pixels, this.reference.n, this.reference.size);
      this.referenceFeatures = new FrechetReference(real.features, ev.featureDim);
    }
    const size = this.reference.size;
    // Images made at another size (Method.size) are resized to the evaluator's size through PNG, as sharp does it.
    const input = pixels.every((p) => p.width === size && p.height === size)
      ? rawImagesToPixels(pixels, size)
      : await pngsToPixels(await Promise.all(pixels.map((p) => rawImageToPng(p))), size, { resize: true });
    const run = await ev.run(input, pixels.length, size);
    // The interval's value is the plain Frechet distance (frechetDistance of the two feature sets).
    const fd = bootstrapFrechet(run.features, this.referenceFeatures, ev.featureDim, {
      reps: reps.frechet ?? 40,
      seed: 0,
    });
    const a = perImageAdherence(run.attributes, this.reference.prompts);
    return {
      images: pixels.length,
      frechet: fd,
      adherence: clipInterval(bootstrapMean(a.values, { reps: reps.mean ?? 1000, seed: 0 }), 0, 1),
      allCorrect: a.allCorrect,
      ...(await this.scoreClip(pixels, this.reference.prompts.slice(0, pixels.length))),
    };
  }

  /** {clipScore} (mean CLIPScore of image i with prompts[i], bootstrap interval) with scenes-clip, else {}. */
  private async scoreClip(pixels: readonly RawImage[], prompts: readonly string[]): Promise<{ clipScore?: Interval }> {
    if (!this.clip) return {};
    const scores = await this.clip.clipScores(pixels, prompts);
    const reps = this.options.bootstrapReps?.mean ?? 1000;
    return { clipScore: clipInterval(bootstrapMean(scores, { reps, seed: 0 }), 0, 100) };
  }

  /** PSNR/SSIM (bootstrap intervals over the pairs) of images against the reference method's images. */
  private async scorePairs(pixels: readonly RawImage[]): Promise<PairStats> {
    const reps = this.options.bootstrapReps?.mean ?? 1000;
    const s = pixelPairScores(pixels, await this.referenceImages(pixels.length));
    return {
      psnrDb: clipInterval(bootstrapMean(s.psnrDb, { reps, seed: 0 }), 0, PSNR_CAP_DB),
      ssim: clipInterval(bootstrapMean(s.ssim, { reps, seed: 0 }), -1, 1),
      pairs: pixels.length,
    };
  }

  /**
   * Prompt adherence of a method on given prompts (e.g. prompts of controlled complexity): image i
   * for prompts[i] with seed firstSeed + i at the evaluator's size, the fraction of each prompt's
   * attributes the scene evaluator finds, with a bootstrap interval over the images. Cached by
   * measurementKey (the prompts are part of the key); a cache hit says so. Needs the evaluator.
   */
  async evaluatePrompts(
    m: Method,
    prompts: readonly string[],
    o: PromptEvaluateOptions & { label?: string } = {},
  ): Promise<MethodResult> {
    this.check();
    validateMethod(m);
    if (!this.evaluator)
      throw new InvalidArgumentError('session.evaluator', undefined, 'a session opened with a scene evaluator');
    if (!Array.isArray(prompts) || prompts.length < 2 || prompts.some((p) => typeof p !== 'string'))
      throw new InvalidArgumentError('prompts', prompts, 'an array of at least 2 scene prompts');
    prompts.forEach((p, i) => {
      try {
        promptAttributes(p);
      } catch (e) {
        throw new InvalidArgumentError(`prompts[${i}]`, p, `a scene prompt (${(e as Error).message})`);
      }
    });
    const firstSeed = requireInteger('firstSeed', o.firstSeed ?? 1000, 0);
    const machine = await this.machine(m);
    const size = this.reference.size;
    const key = await measurementKey(
      'prompt-adherence',
      [m],
      machine,
      {
        prompts: [...prompts],
        firstSeed,
        size: m.size ?? size,
        ...(this.clip ? { clipScore: true } : {}),
        bootstrap: this.bootstrapSettings(),
      },
      this.qualityModels(),
    );
    const c = await cachedWithOutcome<QualityStats>(
      key,
      async () => {
        const pipe = await this.pipeline(m);
        const pixels = await generateImagePixels(pipe, prompts, {
          steps: m.steps,
          guidance: m.guidance,
          scheduler: m.scheduler,
          width: m.size ?? size,
          height: m.size ?? size,
          batchSize: o.batchSize ?? 25,
          firstSeed,
        });
        const run = await this.evaluator!.run(rawImagesToPixels(pixels, size), pixels.length, size);
        const a = perImageAdherence(run.attributes, prompts);
        return {
          images: pixels.length,
          adherence: clipInterval(
            bootstrapMean(a.values, { reps: this.options.bootstrapReps?.mean ?? 1000, seed: 0 }),
            0,
            1,
          ),
          allCorrect: a.allCorrect,
          ...(await this.scoreClip(pixels, prompts)),
        };
      },
      {
        dir: this.options.cacheDir,
        force: this.options.force,
        name: 'prompt-adherence',
        validate: (v) => promptQualityProblems(v, prompts.length, { clipScore: this.clip !== undefined }),
      },
    );
    const provenance = originOf(c, machine);
    this.note(`${m.name} adherence on ${o.label ?? `${prompts.length} given prompts`}`, provenance);
    return { method: m, id: methodId(m), quality: { ...c.value }, provenance: { quality: provenance } };
  }

  /** Speed of several methods (see `timeMethods`). */
  async time(methods: readonly Method[], o: TimeOptions = {}): Promise<MethodResult[]> {
    this.check();
    if (!Array.isArray(methods) || methods.length === 0)
      throw new InvalidArgumentError('methods', methods, 'a non-empty array of Method');
    methods.forEach((m, i) => validateMethod(m, `methods[${i}]`));
    const ids = methods.map((m) => methodId(m));
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) throw new InvalidArgumentError('methods', dup, 'each method once');
    const rounds = requireInteger('rounds', o.rounds ?? 9, 1, 10_000);
    const warmupRounds = requireInteger('warmupRounds', o.warmupRounds ?? 1, 0, 1000);
    const prompt = o.prompt ?? TIMING_PROMPT;
    const minTimeMs = requireFinite('minTimeMs', o.minTimeMs ?? 0, 0);
    const maxRuns = requireInteger('maxRuns', o.maxRuns ?? Math.max(50, rounds), rounds, 100_000);
    const machine = await this.machine(methods[0]);
    const settings = { rounds, warmupRounds, prompt, seed: 0, minTimeMs, maxRuns, stages: true };
    const key = await measurementKey('time', methods, machine, settings);
    const c = await cachedWithOutcome<TimeStats[]>(
      key,
      async () => {
        const runs: { m: Method; batch: number; run: () => Promise<unknown> }[] = [];
        for (const m of methods) {
          const pipe = await this.timingPipeline(m);
          const batch = m.batch ?? 1;
          const request = {
            prompts: Array.from({ length: batch }, () => prompt),
            seeds: Array.from({ length: batch }, (_, i) => i),
            steps: m.steps,
            guidance: m.guidance,
            scheduler: m.scheduler,
            width: m.size,
            height: m.size,
          };
          runs.push({ m, batch, run: () => pipe.generate(request) });
        }
        const timed = await benchmarkInterleaved(
          runs.map((r, k) => ({ id: `${k}: ${r.m.name}`, run: r.run })),
          { warmup: warmupRounds, repeats: rounds, minTimeMs, maxRepeats: maxRuns },
        );
        return timed.map(({ stats: s, results }, k) => {
          const b = runs[k].batch;
          const t: TimeStats = {
            medianMs: s.medianMs / b,
            q1Ms: s.q1Ms / b,
            q3Ms: s.q3Ms / b,
            iqrMs: s.iqrMs / b,
            n: s.n,
          };
          const stages = stageBreakdown(results, s.medianMs);
          if (stages) t.stages = perImageStages(stages, b);
          return t;
        });
      },
      {
        name: 'time',
        dir: this.options.cacheDir,
        force: this.options.force,
        validate: (v) => timeListProblems(v, methods.length),
      },
    );
    const provenance = originOf(c, machine);
    this.note(
      `time of ${methods.length} method${methods.length === 1 ? '' : 's'} (${rounds} interleaved rounds)`,
      provenance,
    );
    return methods.map((m, k) => ({
      method: m,
      id: ids[k],
      time: { ...c.value[k] },
      provenance: { time: provenance },
    }));
  }

  /** Releases every pipeline and the evaluator and deletes the fused LCM-LoRA folders; the session cannot be used after. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.pipes.values()];
    this.pipes.clear();
    for (const p of all) {
      try {
        await (await p).release();
      } catch {
        // a pipeline that failed to load has nothing to release
      }
    }
    await this.evaluator?.release();
    await this.clip?.release();
    for (const dir of this.fused) fs.rmSync(dir, { recursive: true, force: true });
    this.fused.clear();
  }
}

/**
 * Quality of a method's images (one per reference prompt, seed 1000 + i): Frechet distance in the
 * scene evaluator's feature space and prompt adherence, each with a bootstrap interval over the
 * images; and (option `pairs`, the default without an evaluator) PSNR and SSIM of the first images
 * against the reference method's images. Each is a cache row of its own, keyed by measurementKey; a
 * cache hit says so (when, where) in the output. For given prompts see `evaluatePrompts`.
 */
export function evaluateMethod(session: EvaluationSession, m: Method, o: EvaluateOptions = {}): Promise<MethodResult> {
  return session.evaluate(m, o);
}

/**
 * Time per image of several methods in interleaved rounds (each round runs every method once, so a
 * burst of load on a shared machine spreads over all of them): median and IQR per method. Cached by
 * measurementKey (machine and provider included); a cache hit says so in the output.
 */
export function timeMethods(
  session: EvaluationSession,
  methods: readonly Method[],
  o: TimeOptions = {},
): Promise<MethodResult[]> {
  return session.time(methods, o);
}

/** Results with quality and time of the same methods merged (matched by id). */
export function mergeResults(quality: readonly MethodResult[], times: readonly MethodResult[]): MethodResult[] {
  return quality.map((q) => {
    const t = times.find((x) => x.id === q.id);
    if (!t)
      throw new InvalidArgumentError('times', q.method.name, 'a timing result for every quality result (same methods)');
    return { ...q, time: t.time, provenance: { ...q.provenance, time: t.provenance.time } };
  });
}

/** Canonical JSON of a result without its samples (for structured outputs). */
export function resultSummary(r: MethodResult): Record<string, unknown> {
  return JSON.parse(
    canonicalJson({
      name: r.method.name,
      family: r.method.family,
      steps: r.method.steps,
      guidance: r.method.guidance,
      id: r.id,
      quality: r.quality,
      time: r.time,
      provenance: r.provenance,
    }),
  ) as Record<string, unknown>;
}
