/**
 * The old measurement path of notebook 06 (measureQualityRow), kept until notebook 06 moves to
 * src/evaluation (EvaluationSession, evaluateMethod): pipelines by folder, LCM-LoRA preparation,
 * PSNR/SSIM pairs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { decodeImage } from '../image/tensorPng.js';
import { cached } from '../evaluation/cache.js';
import { modelFingerprint } from '../evaluation/fingerprint.js';
import { methodFingerprint } from '../evaluation/key.js';
import { PSNR_CAP_DB } from '../evaluation/session.js';
import { psnr } from '../metrics/psnr.js';
import { ssim } from '../metrics/ssim.js';
import { fuseLcmLoraFolder } from '../onnx/loraFolder.js';
import { loadPipeline, type LoadPipelineOptions, type TextToImagePipeline } from '../onnx/pipeline.js';
import type { SchedulerConfig } from '../samplers/types.js';
import {
  scoreImages,
  type ImageSetQuality,
  type SceneEvaluator,
  type SceneReference,
} from '../quality/sceneEvaluator.js';
import { generateImageSet } from '../onnx/imageSet.js';

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
  if (spec === null || typeof spec !== 'object')
    throw new InvalidArgumentError('spec', spec, 'a MethodSpec {name, family, dir, steps, guidance}');
  for (const key of ['name', 'family', 'dir'] as const) {
    if (typeof spec[key] !== 'string' || spec[key].trim() === '')
      throw new InvalidArgumentError(`spec.${key}`, spec[key], 'a non-empty string');
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
export async function pairQuality(
  images: readonly Uint8Array[],
  references: readonly Uint8Array[],
  options: { ssim?: boolean } = {},
): Promise<PairQuality> {
  if (!Array.isArray(references) || references.length === 0)
    throw new InvalidArgumentError('references', references, 'a non-empty array of PNGs');
  if (!Array.isArray(images) || images.length < references.length) {
    throw new InvalidArgumentError('images', images?.length, `at least one image per reference (${references.length})`);
  }
  let psnrSum = 0;
  let ssimSum = 0;
  for (let k = 0; k < references.length; k++) {
    const a = await decodeImage(images[k], { channels: 3 });
    const b = await decodeImage(references[k], { channels: 3 });
    if (a.width !== b.width || a.height !== b.height) {
      throw new InvalidArgumentError(
        `images[${k}]`,
        `${a.width}x${a.height}`,
        `the size of references[${k}] (${b.width}x${b.height})`,
      );
    }
    psnrSum += Math.min(PSNR_CAP_DB, psnr(a.data, b.data, { dataRange: 255 }));
    if (options.ssim !== false)
      ssimSum += ssim(a.data, b.data, { width: a.width, height: a.height, channels: 3, layout: 'hwc', dataRange: 255 });
  }
  return {
    psnrDb: psnrSum / references.length,
    ssim: options.ssim === false ? NaN : ssimSum / references.length,
    pairs: references.length,
  };
}

/** Mean PSNR (dB) of `images[k]` against `references[k]` over the references given (pairQuality without SSIM). */
export async function meanPsnr(images: readonly Uint8Array[], references: readonly Uint8Array[]): Promise<number> {
  return (await pairQuality(images, references, { ssim: false })).psnrDb;
}

/**
 * Generates one image per prompt for a method, image i with seed 1000 + i (as `npm run eval:models`
 * does; generateImageSet), in batches of `batchSize`, at `size` x `size` pixels (default: native).
 */
export async function generateForPrompts(
  pipe: TextToImagePipeline,
  spec: MethodSpec,
  prompts: readonly string[],
  batchSize = 25,
  size?: number,
): Promise<Uint8Array[]> {
  return generateImageSet(pipe, prompts, {
    steps: spec.steps,
    guidance: spec.guidance,
    scheduler: spec.scheduler,
    width: size,
    height: size,
    batchSize,
  });
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
    steps: spec.steps,
    guidance: spec.guidance,
    scheduler: spec.scheduler ?? null,
    reference: { seed: reference.seed, size: reference.size, n: reference.n },
    evaluator: await modelFingerprint(evaluator.dir),
    batchSize,
  };
  return cached(
    key,
    async () => {
      const pngs = await generateForPrompts(pipe, spec, reference.prompts, batchSize, reference.size);
      return scoreImages(evaluator, pngs, reference, options.referenceFeatures);
    },
    { name: 'image-set-score' },
  );
}
