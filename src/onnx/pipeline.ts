import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  InvalidArgumentError,
  MissingResourceError,
  ModelFileError,
  NumericalError,
  requireFinite,
  requireInteger,
} from '../core/errors.js';
import { Rng, type NoiseSource } from '../core/rng.js';
import { guidanceScaleEmbedding } from '../samplers/guidanceEmbedding.js';
import { modelDefaults } from './modelDefaults.js';
import { createScheduler } from '../samplers/registry.js';
import { EMPTY_STATE, type Scheduler, type SchedulerConfig } from '../samplers/types.js';
import type { OnnxDevice, ExecutionProviderName } from './providers.js';
import { runnableSchedulerConfig } from './schedulerFallback.js';
import { OnnxModel, type OnnxFeed, type OnnxTensorSpec } from './session.js';
import { loadClipTokenizer, type ClipEncoding, type ClipTokenizer } from './tokenizer.js';
import { vaeOutputToPngs, vaeOutputToRawImages } from './vaePng.js';
import type { RawImage } from '../image/tensorPng.js';

/**
 * How the UNet is driven. `sd`: classifier-free guidance as one UNet call on a 2b batch when
 * guidance > 1 (Ho & Salimans 2022). `lcm`: one call per step with `timestep_cond` = the guidance
 * embedding of w = guidance - 1 (Luo et al. 2023). `turbo`: like `sd` with guidance 0 by default
 * (Sauer et al. 2023, adversarial diffusion distillation).
 */
export type PipelineFamily = 'sd' | 'lcm' | 'turbo';
export const PIPELINE_FAMILIES: readonly PipelineFamily[] = ['sd', 'lcm', 'turbo'];

/**
 * UNet evaluations per sampler step, the one rule every count in the course uses: classifier-free
 * guidance (Ho & Salimans 2022) evaluates the UNet on the conditional and the unconditional input
 * (2) when guidance > 1, except for LCM, whose guidance is an input embedding (Luo et al. 2023: 1).
 * Turbo and the progressive-distillation students run at guidance 0 (1). The pipeline batches the two
 * evaluations into one session.run of 2b rows; the count is of evaluations, not calls.
 */
export function unetEvaluationsPerStep(family: PipelineFamily, guidance: number): 1 | 2 {
  if (!PIPELINE_FAMILIES.includes(family))
    throw new InvalidArgumentError('family', family, `one of ${PIPELINE_FAMILIES.join(', ')}`);
  requireFinite('guidance', guidance, 0);
  return family !== 'lcm' && guidance > 1 ? 2 : 1;
}

/** Orchestration overhead of one generate() call: time outside ONNX Runtime's session.run and PNG encoding. */
export interface OrchestrationOverhead {
  /** wall - sessionRun - png, milliseconds. */
  ms: number;
  /** ms / wall. */
  fraction: number;
}

/**
 * The one definition of the pipeline's orchestration overhead: the part of a generate() call's wall
 * time spent neither inside session.run (text encoder, UNet, VAE) nor in PNG encoding:
 * (wall - sessionRun - png) / wall. `wallMs` defaults to the pipeline's own total; pass a time taken
 * around the call to include the caller's side.
 */
export function orchestrationOverhead(
  timings: Pick<PipelineTimings, 'totalMs' | 'sessionRunMs' | 'pngMs'>,
  wallMs = timings.totalMs,
): OrchestrationOverhead {
  const wall = requireFinite('wallMs', wallMs, Number.MIN_VALUE);
  const ms =
    wall -
    requireFinite('timings.sessionRunMs', timings.sessionRunMs, 0) -
    requireFinite('timings.pngMs', timings.pngMs, 0);
  return { ms, fraction: ms / wall };
}

const FETCH_HINT = 'get a model with `npm run fetch-model -- <repo>` or use models/fixtures/tiny-lcm';

export interface LoadPipelineOptions {
  device?: OnnxDevice;
  /** Override the family detected from model_index.json and the UNet's inputs. */
  family?: PipelineFamily;
  /** Where the one-line provider decision goes (console.log by default). */
  log?: (line: string) => void;
  /** Where tokenizer warnings (truncation) go (console.warn by default). */
  warn?: (line: string) => void;
  /**
   * How many text-encoder results to keep for reuse, keyed by the exact list of prompts the encoder
   * sees (negatives included): a hit skips the text encoder and gives the same embeddings bit for bit.
   * Default 0 (off), so that every timing is end to end, text encoder included; notebooks that
   * re-run one prompt interactively may turn it on (timings then report textEmbeddingCached).
   */
  textEmbeddingCache?: number;
  /**
   * Where the note about words the model does not understand goes, once per prompt and process
   * (console.log by default, so a notebook cell shows it under its images); false: no note (the
   * result's unknownWords/splitWords still say it).
   */
  vocabularyNote?: ((line: string) => void) | false;
}

/** Prompts already noted (vocabulary size + prompt), so each note is said once per process. */
const notedPrompts = new Set<string>();

/**
 * The note for a prompt with words the model cannot understand, or undefined when it understands
 * them all: names the words, and with a word-level vocabulary, the words the model does know.
 */
export function vocabularyNote(tokenizer: ClipTokenizer, prompt: string): string | undefined {
  const missing = tokenizer.wordsNotUnderstood(prompt);
  if (missing.length === 0) return undefined;
  const quoted = missing.map((w) => `"${w}"`).join(', ');
  const lines = [
    `note: the model does not understand ${quoted} in ${JSON.stringify(prompt.length > 80 ? prompt.slice(0, 77) + '...' : prompt)}: ` +
      `${missing.length === 1 ? 'that word is' : 'those words are'} outside what it was trained on, so the image ignores ${missing.length === 1 ? 'it' : 'them'}.`,
  ];
  if (tokenizer.wordLevel) lines.push(`  Words it knows (from its tokenizer): ${tokenizer.wholeWords().join(', ')}.`);
  return lines.join('\n');
}

/** What the per-step callback receives. */
export interface PipelineStepInfo {
  step: number;
  timestep: number;
  /** Latents after this step, [batch, 4, height/8, width/8]. */
  latents: Float32Array;
  /** The scheduler's estimate of the clean latents at this step. */
  denoised: Float32Array;
  /** Milliseconds since generate() started. */
  elapsedMs: number;
  /** PNGs of the decoded `denoised`, one per image, when `previews` is on. */
  previews?: Buffer[];
}

export interface GenerateOptions {
  prompt?: string;
  /** One prompt per image; sets the batch size when batchSize is omitted. */
  prompts?: string[];
  /** Negative prompt (SD/Turbo with guidance > 1): one for all images, or one per image. */
  negativePrompt?: string | string[];
  steps?: number;
  guidance?: number;
  width?: number;
  height?: number;
  batchSize?: number;
  /** Seed of the first image; image i gets seed + i. Random (and reported) when no seed is given. */
  seed?: number;
  /** One seed per image. */
  seeds?: number[];
  /** Scheduler config keys overriding the model's scheduler_config.json, or a ready Scheduler. */
  scheduler?: SchedulerConfig | Scheduler;
  callback?: (info: PipelineStepInfo) => void | Promise<void>;
  /** Decode `denoised` at every step and hand the PNGs to the callback. */
  previews?: boolean;
  /**
   * 'png' (default): `images` holds PNG files. 'pixels': `pixels` holds the 8-bit RGB pixels the PNGs
   * would store (decoding those PNGs gives the same bytes) and `images` is empty; for measurements
   * that score pixels, so that no PNG is encoded only to be decoded again (`timings.pngMs` is then
   * the conversion to 8 bits).
   */
  output?: 'png' | 'pixels';
}

export interface PipelineTimings {
  tokenizerMs: number;
  textEncoderMs: number;
  /** Wall time of the UNet call(s) of each step. */
  unetMs: number[];
  /** Time in scaleModelInput + step + initial noise. */
  schedulerMs: number;
  vaeMs: number;
  /** Decoding and encoding previews (0 without previews). */
  previewMs: number;
  pngMs: number;
  totalMs: number;
  /** Time inside ONNX Runtime's session.run calls over all sessions (the calls alone). */
  sessionRunMs: number;
  /** Time building ONNX Runtime input tensors and converting outputs (float16 <-> float32 included), all sessions. */
  convertMs: number;
  /** Whether the text embeddings came from the cache (then the text encoder did not run). */
  textEmbeddingCached: boolean;
}

export interface GenerateResult {
  /** PNG files, one per image (empty with `output: 'pixels'`). */
  images: Buffer[];
  /** With `output: 'pixels'`: 8-bit interleaved pixels, one per image. */
  pixels?: RawImage[];
  seeds: number[];
  prompts: string[];
  provider: ExecutionProviderName;
  family: PipelineFamily;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  /** Words of each prompt outside the tokenizer's vocabulary. */
  unknownWords: string[][];
  /** Words of each prompt that are not one vocabulary token (split into pieces; see ClipEncoding.splitWords). */
  splitWords: string[][];
  timings: PipelineTimings;
}

/** Reads a JSON file that must hold an object; ModelFileError names the file when it is not JSON or not an object. */
function readJsonFile(file: string, what: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new MissingResourceError(file, `${what} ${file} does not exist; ${FETCH_HINT}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(file, `${what} ${file} cannot be parsed: ${(e as Error).message}; ${FETCH_HINT}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new ModelFileError(
      file,
      `${what} ${file} holds ${got}; expected a JSON object ({"key": value, ...}); ${FETCH_HINT}`,
    );
  }
  return parsed as Record<string, unknown>;
}

function optionalJson(file: string): Record<string, unknown> {
  return fs.existsSync(file) ? readJsonFile(file, 'config') : {};
}

function isScheduler(x: unknown): x is Scheduler {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Scheduler).step === 'function' &&
    typeof (x as Scheduler).setTimesteps === 'function'
  );
}

/** Throws NumericalError naming `component` when `data` holds NaN or Inf. */
function checkFinite(component: string, data: Float32Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      let bad = 0;
      for (let k = i; k < data.length; k++) if (!Number.isFinite(data[k])) bad++;
      throw new NumericalError(
        component,
        `output ${where} holds ${bad} non-finite values (first: ${data[i]} at element ${i}); fp16 exports overflow easily: try the model's fp32 export, or device "cpu"`,
      );
    }
  }
}

/** A noise source drawing each image's share of a batch from that image's own seeded generator. */
class PerImageNoise implements NoiseSource {
  constructor(private readonly rngs: Rng[]) {}
  normal(n: number): Float32Array {
    const b = this.rngs.length;
    if (b === 1 || n % b !== 0) return this.rngs[0].normal(n);
    const out = new Float32Array(n);
    const per = n / b;
    this.rngs.forEach((rng, i) => out.set(rng.normal(per), i * per));
    return out;
  }
}

/**
 * scheduler.setTimesteps(steps), with the scheduler's own limit reported against `steps` (LCM allows at
 * most original_inference_steps, the others num_train_timesteps).
 */
function setSchedulerSteps(scheduler: Scheduler, steps: number): void {
  const max = maxInferenceSteps(scheduler);
  if (steps > max) {
    const why =
      max < scheduler.numTrainTimesteps
        ? `LCM timesteps are a subset of the original_inference_steps = ${max} distillation grid`
        : `num_train_timesteps = ${max}`;
    throw new InvalidArgumentError(
      'steps',
      steps,
      `expected an integer in [1, ${max}] (${scheduler.className}: ${why})`,
    );
  }
  try {
    scheduler.setTimesteps(steps);
  } catch (e) {
    if (e instanceof InvalidArgumentError && e.field === 'numInferenceSteps') {
      throw new InvalidArgumentError('steps', steps, `${e.allowed} (limit of ${scheduler.className})`);
    }
    throw e;
  }
}

/** Most steps `scheduler` can take: LCM's original_inference_steps, else num_train_timesteps. */
export function maxInferenceSteps(scheduler: Scheduler): number {
  const original = scheduler.config.original_inference_steps;
  if (scheduler.className === 'LCMScheduler' && typeof original === 'number')
    return Math.min(original, scheduler.numTrainTimesteps);
  return scheduler.numTrainTimesteps;
}

/** Most-recently-used map with a cap on entries (oldest evicted first). */
class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(public maxEntries: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    if (this.maxEntries <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as K);
  }
  clear(): void {
    this.map.clear();
  }
}

/** Text-encoder output kept for reuse (never handed out to callers, never written to). */
interface TextEmbedding {
  data: Float32Array;
  dims: readonly number[];
}

/** Largest text-encoder output the embedding cache keeps (floats): [128, 77, 1024] in float32 is 40 MB. */
const MAX_CACHED_EMBEDDING = 128 * 77 * 1024;
/** Distinct prompts whose tokenization is kept. */
const TOKENIZATION_CACHE_ENTRIES = 256;
/** Idle default-config schedulers kept for reuse. */
const SCHEDULER_POOL_SIZE = 4;

/** A loaded text-to-image model: tokenizer, text encoder, UNet, VAE decoder and scheduler config. */
export class TextToImagePipeline {
  readonly family: PipelineFamily;
  readonly provider: ExecutionProviderName;
  /** Native image size in pixels (unet sample_size x VAE factor). */
  readonly nativeSize: number;
  readonly vaeScaleFactor = 8;
  readonly minSize: number;
  readonly maxSize: number;
  readonly scalingFactor: number;
  readonly latentChannels: number;
  readonly timeCondDim: number;
  readonly defaults: { steps: number; guidance: number };
  private readonly timestepSpec: OnnxTensorSpec;
  private readonly sampleBatchDim: number | string | undefined;
  private readonly unetOutputName: string;
  private readonly textOutputName: string;
  private readonly vaeInputName: string;
  private readonly vaeOutputName: string;
  /** Prompt -> tokenization (prompts that were truncated are not kept, so their warning repeats). */
  private readonly encodings = new LruMap<string, ClipEncoding>(TOKENIZATION_CACHE_ENTRIES);
  /** Where notes about words outside the model's vocabulary go (false: none). */
  vocabularyNote: ((line: string) => void) | false;
  /** JSON of the text-encoder's prompt list -> its output. */
  private readonly textEmbeddings: LruMap<string, TextEmbedding>;
  /** Schedulers built from the model's own config, idle between generate() calls (setTimesteps resets them). */
  private readonly schedulerPool: Scheduler[] = [];
  /** The last LCM guidance embedding and the guidance and batch size it was made for. */
  private guidanceEmbedding: { guidance: number; batch: number; data: Float32Array } | null = null;

  constructor(
    readonly modelDir: string,
    readonly modelIndex: Readonly<Record<string, unknown>>,
    readonly schedulerConfig: Readonly<SchedulerConfig>,
    readonly tokenizer: ClipTokenizer,
    readonly textEncoder: OnnxModel,
    readonly unet: OnnxModel,
    readonly vaeDecoder: OnnxModel,
    unetConfig: Record<string, unknown>,
    vaeConfig: Record<string, unknown>,
    family?: PipelineFamily,
    options: { textEmbeddingCache?: number; vocabularyNote?: ((line: string) => void) | false } = {},
  ) {
    this.provider = unet.provider;
    const className = String(modelIndex._class_name ?? '');
    const hasCond = unet.hasInput('timestep_cond');
    this.family =
      family ??
      (hasCond ? 'lcm' : /turbo/i.test(className) || schedulerConfig.timestep_spacing === 'trailing' ? 'turbo' : 'sd');
    if (this.family === 'lcm' && !hasCond) {
      throw new InvalidArgumentError(
        'family',
        'lcm',
        `the UNet has no timestep_cond input (inputs: ${unet.inputs.map((s) => s.name).join(', ')}); use "sd" with an LCMScheduler for LCM-LoRA models`,
      );
    }
    const sample = unet.input('sample');
    const fixedH = sample.shape[2];
    const sampleSize = typeof fixedH === 'number' && fixedH > 0 ? fixedH : Number(unetConfig.sample_size ?? 64);
    this.nativeSize = sampleSize * this.vaeScaleFactor;
    if (typeof fixedH === 'number' && fixedH > 0) {
      this.minSize = this.maxSize = this.nativeSize;
    } else {
      this.minSize = Math.max(8, Math.floor(this.nativeSize / 4 / 8) * 8);
      this.maxSize = this.nativeSize * 4;
    }
    const ch = sample.shape[1];
    this.latentChannels = typeof ch === 'number' && ch > 0 ? ch : Number(unetConfig.in_channels ?? 4);
    this.scalingFactor = Number(vaeConfig.scaling_factor ?? 0.18215);
    const condShape = hasCond ? unet.input('timestep_cond').shape[1] : undefined;
    this.timeCondDim =
      typeof condShape === 'number' && condShape > 0 ? condShape : Number(unetConfig.time_cond_proj_dim ?? 256);
    this.defaults = modelDefaults(modelIndex, this.family);
    this.timestepSpec = unet.input('timestep');
    this.sampleBatchDim = sample.shape[0];
    this.unetOutputName = unet.outputs.some((o) => o.name === 'out_sample') ? 'out_sample' : unet.outputs[0].name;
    this.textOutputName = textEncoder.outputs.some((o) => o.name === 'last_hidden_state')
      ? 'last_hidden_state'
      : textEncoder.outputs[0].name;
    this.vaeInputName = vaeDecoder.inputs[0].name;
    this.vaeOutputName = vaeDecoder.outputs.some((o) => o.name === 'sample') ? 'sample' : vaeDecoder.outputs[0].name;
    this.vocabularyNote = options.vocabularyNote === undefined ? (line) => console.log(line) : options.vocabularyNote;
    this.textEmbeddings = new LruMap(requireInteger('textEmbeddingCache', options.textEmbeddingCache ?? 0, 0, 1024));
  }

  /** How many text-encoder results are kept for reuse (0: off). Lowering it takes effect at the next store. */
  get textEmbeddingCacheSize(): number {
    return this.textEmbeddings.maxEntries;
  }

  set textEmbeddingCacheSize(n: number) {
    this.textEmbeddings.maxEntries = requireInteger('textEmbeddingCacheSize', n, 0, 1024);
    if (n === 0) this.textEmbeddings.clear();
  }

  /** Drops the cached tokenizations, text embeddings, schedulers and guidance embedding. */
  clearCaches(): void {
    this.encodings.clear();
    this.textEmbeddings.clear();
    this.schedulerPool.length = 0;
    this.guidanceEmbedding = null;
  }

  /** Generates images; see GenerateOptions. Same seeds, options and provider give the same PNG bytes. */
  async generate(options: GenerateOptions = {}): Promise<GenerateResult> {
    const t0 = performance.now();
    const runMs0 = this.sessionRunMs();
    const convertMs0 = this.convertMs();
    const req = this.resolve(options);
    const output = options.output ?? 'png';
    if (output !== 'png' && output !== 'pixels')
      throw new InvalidArgumentError('output', options.output, "'png' or 'pixels'");
    const { batch, prompts, negatives, seeds, steps, guidance, width, height } = req;
    const doCfg = unetEvaluationsPerStep(this.family, guidance) === 2;
    const timings: PipelineTimings = {
      tokenizerMs: 0,
      textEncoderMs: 0,
      unetMs: [],
      schedulerMs: 0,
      vaeMs: 0,
      previewMs: 0,
      pngMs: 0,
      totalMs: 0,
      sessionRunMs: 0,
      convertMs: 0,
      textEmbeddingCached: false,
    };

    // 1. Text: one text-encoder call for [negatives..., prompts...] (CFG) or [prompts...].
    let t = performance.now();
    const texts = doCfg ? [...negatives, ...prompts] : prompts;
    const encodings = texts.map((p) => this.encode(p));
    const unknownWords = encodings.slice(doCfg ? batch : 0).map((e) => e.unknownWords.slice());
    const splitWords = encodings.slice(doCfg ? batch : 0).map((e) => e.splitWords.slice());
    if (this.vocabularyNote) {
      for (const p of prompts) {
        const key = `${this.tokenizer.vocabularySize}\u0000${p}`;
        if (notedPrompts.has(key)) continue;
        notedPrompts.add(key);
        const note = vocabularyNote(this.tokenizer, p);
        if (note !== undefined) this.vocabularyNote(note);
      }
    }
    const cacheKey = this.textEmbeddings.maxEntries > 0 ? JSON.stringify(texts) : '';
    let text = cacheKey ? this.textEmbeddings.get(cacheKey) : undefined;
    timings.tokenizerMs = performance.now() - t;
    t = performance.now();
    if (text) timings.textEmbeddingCached = true;
    else {
      text = await this.encodeText(encodings);
      if (cacheKey && text.data.length <= MAX_CACHED_EMBEDDING) this.textEmbeddings.set(cacheKey, text);
    }
    timings.textEncoderMs = performance.now() - t;
    const embeds = text.data;
    const embedDims = text.dims;

    // 2. Scheduler and initial latents: one generator per seed.
    t = performance.now();
    const pooled = options.scheduler === undefined;
    const scheduler = pooled
      ? (this.schedulerPool.pop() ?? this.makeScheduler(undefined))
      : this.makeScheduler(options.scheduler);
    try {
      setSchedulerSteps(scheduler, steps);
      const lh = height / this.vaeScaleFactor;
      const lw = width / this.vaeScaleFactor;
      const perImage = this.latentChannels * lh * lw;
      const rngs = seeds.map((s) => new Rng(s));
      let latents: Float32Array = batch === 1 ? rngs[0].normal(perImage) : new Float32Array(batch * perImage);
      if (batch > 1) for (let i = 0; i < batch; i++) latents.set(rngs[i].normal(perImage), i * perImage);
      if (scheduler.initNoiseSigma !== 1)
        for (let k = 0; k < latents.length; k++) latents[k] *= scheduler.initNoiseSigma;
      const noise = new PerImageNoise(rngs);
      const latentDims = [batch, this.latentChannels, lh, lw];
      const timestepCond = this.family === 'lcm' ? this.guidanceCond(guidance, batch) : null;
      timings.schedulerMs += performance.now() - t;

      // 3. Denoising loop (the scheduler's contract: no hidden step counter).
      let state = EMPTY_STATE;
      let denoised: Float32Array = latents;
      const timesteps = scheduler.timesteps;
      for (let i = 0; i < timesteps.length; i++) {
        const timestep = timesteps[i];
        t = performance.now();
        const scaled = scheduler.scaleModelInput(latents, i);
        const t1 = performance.now();
        timings.schedulerMs += t1 - t;
        const modelOutput = await this.predict(
          scaled,
          latentDims,
          timestep,
          embeds,
          embedDims,
          doCfg,
          guidance,
          timestepCond,
          i,
        );
        const t2 = performance.now();
        timings.unetMs.push(t2 - t1);
        const out = scheduler.step(modelOutput, i, latents, { state, noise });
        latents = out.prevSample;
        denoised = out.denoised;
        state = out.state;
        timings.schedulerMs += performance.now() - t2;
        if (options.callback || options.previews) {
          let previews: Buffer[] | undefined;
          if (options.previews) {
            const tp = performance.now();
            previews = await this.decodeToPng(denoised, latentDims, `preview of step ${i}`);
            timings.previewMs += performance.now() - tp;
          }
          if (options.callback)
            await options.callback({
              step: i,
              timestep,
              latents,
              denoised,
              elapsedMs: performance.now() - t0,
              previews,
            });
        }
      }

      // 4. Decode: latents / scaling_factor -> VAE -> [-1, 1] -> PNG.
      t = performance.now();
      const decoded = await this.decodeLatents(latents, latentDims, 'after the last step');
      timings.vaeMs = performance.now() - t;
      t = performance.now();
      const pixels = output === 'pixels' ? vaeOutputToRawImages(decoded.data, decoded.dims) : undefined;
      const images = pixels ? [] : await vaeOutputToPngs(decoded.data, decoded.dims);
      timings.pngMs = performance.now() - t;
      timings.sessionRunMs = this.sessionRunMs() - runMs0;
      timings.convertMs = this.convertMs() - convertMs0;
      timings.totalMs = performance.now() - t0;
      return {
        images,
        ...(pixels ? { pixels } : {}),
        seeds,
        prompts,
        provider: this.provider,
        family: this.family,
        width,
        height,
        steps,
        guidance,
        unknownWords,
        splitWords,
        timings,
      };
    } finally {
      if (pooled && this.schedulerPool.length < SCHEDULER_POOL_SIZE) this.schedulerPool.push(scheduler);
    }
  }

  /** Tokenizes one prompt, reusing earlier results (a truncated prompt is tokenized again, so it warns again). */
  private encode(prompt: string): ClipEncoding {
    const hit = this.encodings.get(prompt);
    if (hit) return hit;
    const e = this.tokenizer.encode(prompt);
    if (e.droppedTokens === 0) this.encodings.set(prompt, e);
    return e;
  }

  /** One text-encoder call on the padded ids of every prompt. */
  private async encodeText(encodings: readonly ClipEncoding[]): Promise<TextEmbedding> {
    const seqLen = this.tokenizer.maxLength;
    const int64 = this.textEncoder.input('input_ids').type === 'int64';
    const data = int64 ? new BigInt64Array(encodings.length * seqLen) : new Int32Array(encodings.length * seqLen);
    encodings.forEach((e, r) => {
      const row = r * seqLen;
      if (data instanceof BigInt64Array) for (let k = 0; k < seqLen; k++) data[row + k] = BigInt(e.ids[k]);
      else for (let k = 0; k < seqLen; k++) data[row + k] = e.ids[k];
    });
    const teOut = await this.textEncoder.run({ input_ids: { data, dims: [encodings.length, seqLen] } });
    const hidden = teOut[this.textOutputName];
    return { data: hidden.data as Float32Array, dims: hidden.dims };
  }

  /** LCM's timestep_cond for w = guidance - 1, one row per image (the last one is kept: it is the same every call). */
  private guidanceCond(guidance: number, batch: number): Float32Array {
    const last = this.guidanceEmbedding;
    if (last && last.guidance === guidance && last.batch === batch) return last.data;
    const data = guidanceScaleEmbedding(new Array(batch).fill(guidance - 1), this.timeCondDim);
    this.guidanceEmbedding = { guidance, batch, data };
    return data;
  }

  /** One UNet evaluation for the whole batch (2b rows under CFG), combined into the guided output. */
  private async predict(
    scaled: Float32Array,
    latentDims: number[],
    timestep: number,
    embeds: Float32Array,
    embedDims: readonly number[],
    doCfg: boolean,
    guidance: number,
    timestepCond: Float32Array | null,
    stepIndex: number,
  ): Promise<Float32Array> {
    const batch = latentDims[0];
    const rows = doCfg ? 2 * batch : batch;
    let sample = scaled;
    if (doCfg) {
      sample = new Float32Array(2 * scaled.length);
      sample.set(scaled, 0);
      sample.set(scaled, scaled.length);
    }
    const feeds: Record<string, OnnxFeed> = {
      sample: { data: sample, dims: [rows, latentDims[1], latentDims[2], latentDims[3]] },
      timestep: this.timestepFeed(timestep, rows),
      encoder_hidden_states: { data: embeds, dims: embedDims },
    };
    if (timestepCond) feeds.timestep_cond = { data: timestepCond, dims: [batch, this.timeCondDim] };
    const result = await this.unet.run(feeds);
    const out = result[this.unetOutputName].data as Float32Array;
    checkFinite('unet', out, `at step ${stepIndex} (timestep ${timestep})`);
    if (!doCfg) return out;
    // Classifier-free guidance: eps = eps_uncond + w (eps_cond - eps_uncond).
    const n = scaled.length;
    const guided = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const epsUncond = out[k];
      guided[k] = epsUncond + guidance * (out[n + k] - epsUncond);
    }
    return guided;
  }

  /** The timestep tensor as the UNet's metadata wants it: dtype int64/int32/float, shape [], [1], [n] or [batch]. */
  private timestepFeed(timestep: number, rows: number): OnnxFeed {
    const spec = this.timestepSpec;
    let dims: number[];
    if (spec.shape.length === 0) dims = [];
    else {
      const d0 = spec.shape[0];
      dims = [typeof d0 === 'number' && d0 > 0 ? d0 : typeof d0 === 'string' && d0 === this.sampleBatchDim ? rows : 1];
      for (let k = 1; k < spec.shape.length; k++) dims.push(1);
    }
    let n = 1;
    for (const d of dims) n *= d;
    if (spec.type === 'int64') return { data: new BigInt64Array(n).fill(BigInt(Math.trunc(timestep))), dims };
    if (spec.type === 'int32') return { data: new Int32Array(n).fill(Math.trunc(timestep)), dims };
    return { data: new Float32Array(n).fill(timestep), dims };
  }

  private async decodeLatents(
    latents: Float32Array,
    latentDims: number[],
    where: string,
  ): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const scaledLatents = new Float32Array(latents.length);
    const inv = 1 / this.scalingFactor;
    for (let k = 0; k < latents.length; k++) scaledLatents[k] = latents[k] * inv;
    const result = await this.vaeDecoder.run({ [this.vaeInputName]: { data: scaledLatents, dims: latentDims } });
    const out = result[this.vaeOutputName];
    checkFinite('vae_decoder', out.data as Float32Array, where);
    return { data: out.data as Float32Array, dims: out.dims };
  }

  private async decodeToPng(latents: Float32Array, latentDims: number[], where: string): Promise<Buffer[]> {
    const decoded = await this.decodeLatents(latents, latentDims, where);
    return vaeOutputToPngs(decoded.data, decoded.dims);
  }

  private makeScheduler(override: SchedulerConfig | Scheduler | undefined): Scheduler {
    if (isScheduler(override)) return override;
    if (override !== undefined && (typeof override !== 'object' || override === null)) {
      throw new InvalidArgumentError(
        'scheduler',
        override,
        'expected a scheduler config object (e.g. {_class_name: "EulerDiscreteScheduler"}) or a Scheduler',
      );
    }
    try {
      return createScheduler({ ...this.schedulerConfig, ...(override ?? {}) });
    } catch (e) {
      // A bad key read from the model's own scheduler_config.json: name the file, not just the key.
      const key = e instanceof InvalidArgumentError ? e.field.split(/[.[]/)[0] : undefined;
      if (
        e instanceof InvalidArgumentError &&
        key !== undefined &&
        !(override && key in override) &&
        key in this.schedulerConfig
      ) {
        const file = path.join(this.modelDir, 'scheduler', 'scheduler_config.json');
        throw new InvalidArgumentError(`${file} ${e.field}`, e.value, e.allowed);
      }
      throw e;
    }
  }

  private sessionRunMs(): number {
    return this.textEncoder.runMs + this.unet.runMs + this.vaeDecoder.runMs;
  }

  private convertMs(): number {
    return this.textEncoder.convertMs + this.unet.convertMs + this.vaeDecoder.convertMs;
  }

  /** Checks and completes the options (typed errors name the field, the value and what is allowed). */
  private resolve(o: GenerateOptions) {
    if (o === null || typeof o !== 'object') throw new InvalidArgumentError('options', o, 'expected an object');
    if (o.prompt !== undefined && o.prompts !== undefined)
      throw new InvalidArgumentError('prompts', o.prompts, 'give either prompt or prompts, not both');
    if (
      o.prompts !== undefined &&
      (!Array.isArray(o.prompts) || o.prompts.length === 0 || o.prompts.some((p) => typeof p !== 'string'))
    ) {
      throw new InvalidArgumentError('prompts', o.prompts, 'expected a non-empty array of strings');
    }
    if (o.prompt !== undefined && typeof o.prompt !== 'string')
      throw new InvalidArgumentError('prompt', o.prompt, 'expected a string');
    const batch = requireInteger('batchSize', o.batchSize ?? o.prompts?.length ?? o.seeds?.length ?? 1, 1, 64);
    const prompts = o.prompts ?? new Array<string>(batch).fill(o.prompt ?? '');
    if (prompts.length !== batch)
      throw new InvalidArgumentError(
        'prompts',
        `${prompts.length} prompts`,
        `expected ${batch} (one per image, batchSize = ${batch})`,
      );
    let negatives: string[];
    if (Array.isArray(o.negativePrompt)) {
      if (o.negativePrompt.length !== batch)
        throw new InvalidArgumentError(
          'negativePrompt',
          `${o.negativePrompt.length} prompts`,
          `expected one string, or ${batch} (one per image)`,
        );
      negatives = o.negativePrompt;
    } else {
      if (o.negativePrompt !== undefined && typeof o.negativePrompt !== 'string')
        throw new InvalidArgumentError('negativePrompt', o.negativePrompt, 'expected a string or an array of strings');
      negatives = new Array<string>(batch).fill(o.negativePrompt ?? '');
    }
    let seeds: number[];
    if (o.seeds !== undefined) {
      if (!Array.isArray(o.seeds) || o.seeds.length !== batch)
        throw new InvalidArgumentError(
          'seeds',
          o.seeds,
          `expected an array of ${batch} seeds (one per image, batchSize = ${batch})`,
        );
      if (o.seed !== undefined) throw new InvalidArgumentError('seed', o.seed, 'give either seed or seeds, not both');
      seeds = o.seeds.map((s, i) => requireInteger(`seeds[${i}]`, s, 0));
    } else {
      // image i gets seed + i, so the first seed leaves room for the batch below the generator's 2^53 - 1
      const maxFirst = Number.MAX_SAFE_INTEGER - (batch - 1);
      if (
        o.seed !== undefined &&
        (typeof o.seed !== 'number' || !Number.isInteger(o.seed) || o.seed < 0 || o.seed > maxFirst)
      ) {
        const why =
          batch > 1
            ? `; image i gets seed + i, and seed + ${batch - 1} must stay <= 2^53 - 1 (the generator's largest seed)`
            : " (the generator's seeds)";
        throw new InvalidArgumentError('seed', o.seed, `expected an integer in [0, ${maxFirst}]${why}`);
      }
      const first = o.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : o.seed;
      seeds = Array.from({ length: batch }, (_, i) => first + i);
    }
    // the upper limit is the scheduler's (LCM: original_inference_steps; others: num_train_timesteps), see setSchedulerSteps
    const steps = requireInteger('steps', o.steps ?? this.defaults.steps, 1);
    const guidance = requireFinite('guidance', o.guidance ?? this.defaults.guidance, 0, 50);
    const size = (field: string, v: unknown): number => {
      const n = requireInteger(field, v ?? this.nativeSize, 1);
      if (n % 8 !== 0 || n < this.minSize || n > this.maxSize) {
        throw new InvalidArgumentError(
          field,
          n,
          `expected a multiple of 8 in [${this.minSize}, ${this.maxSize}] for this model (native ${this.nativeSize})`,
        );
      }
      return n;
    };
    const width = size('width', o.width);
    const height = size('height', o.height);
    if (o.previews !== undefined && typeof o.previews !== 'boolean')
      throw new InvalidArgumentError('previews', o.previews, 'expected true or false');
    if (o.callback !== undefined && typeof o.callback !== 'function')
      throw new InvalidArgumentError('callback', o.callback, 'expected a function');
    return { batch, prompts, negatives, seeds, steps, guidance, width, height };
  }

  /** Frees the three sessions. */
  async release(): Promise<void> {
    await Promise.all([this.textEncoder.release(), this.unet.release(), this.vaeDecoder.release()]);
  }
}

/**
 * Loads a diffusers/optimum ONNX model folder: model_index.json, scheduler/scheduler_config.json,
 * tokenizer/, text_encoder/, unet/ and vae_decoder/ (model.onnx and config.json each). The
 * execution provider is chosen once (on the UNet, see chooseProvider) and used for all three
 * sessions; one line saying which and why is logged.
 */
export async function loadPipeline(modelDir: string, options: LoadPipelineOptions = {}): Promise<TextToImagePipeline> {
  if (typeof modelDir !== 'string' || modelDir.length === 0)
    throw new InvalidArgumentError('modelDir', modelDir, 'expected a folder path');
  if (!fs.existsSync(modelDir) || !fs.statSync(modelDir).isDirectory()) {
    throw new MissingResourceError(modelDir, `model folder ${modelDir} does not exist; ${FETCH_HINT}`);
  }
  if (options.family !== undefined && !PIPELINE_FAMILIES.includes(options.family)) {
    throw new InvalidArgumentError('family', options.family, `expected one of ${PIPELINE_FAMILIES.join(', ')}`);
  }
  if (options.textEmbeddingCache !== undefined)
    requireInteger('textEmbeddingCache', options.textEmbeddingCache, 0, 1024);
  const modelIndex = readJsonFile(path.join(modelDir, 'model_index.json'), 'model index');
  const shipped = readJsonFile(
    path.join(modelDir, 'scheduler', 'scheduler_config.json'),
    'scheduler config',
  ) as SchedulerConfig;
  const { config: schedulerConfig, note: schedulerNote } = runnableSchedulerConfig(shipped);
  if (schedulerNote) (options.log ?? console.log)(schedulerNote);
  const files = ['text_encoder', 'unet', 'vae_decoder'].map((c) => path.join(modelDir, c, 'model.onnx'));
  for (const f of files) {
    if (!fs.existsSync(f))
      throw new MissingResourceError(f, `${path.basename(path.dirname(f))} model ${f} does not exist; ${FETCH_HINT}`);
  }
  const tokenizer = loadClipTokenizer(path.join(modelDir, 'tokenizer'), { warn: options.warn });
  const unet = await OnnxModel.open(files[1], {
    device: options.device ?? 'auto',
    component: 'unet',
    log: options.log,
  });
  const eps = unet.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
  const textEncoder = await OnnxModel.open(files[0], { executionProviders: eps, component: 'text_encoder' });
  const vaeDecoder = await OnnxModel.open(files[2], { executionProviders: eps, component: 'vae_decoder' });
  const unetConfig = optionalJson(path.join(modelDir, 'unet', 'config.json'));
  const vaeConfig = optionalJson(path.join(modelDir, 'vae_decoder', 'config.json'));
  return new TextToImagePipeline(
    modelDir,
    modelIndex,
    schedulerConfig,
    tokenizer,
    textEncoder,
    unet,
    vaeDecoder,
    unetConfig,
    vaeConfig,
    options.family,
    {
      textEmbeddingCache: options.textEmbeddingCache,
      vocabularyNote: options.vocabularyNote,
    },
  );
}
