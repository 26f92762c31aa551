/**
 * CLIPScore on our domain: models/scenes-clip is a small contrastive text-image model of the scenes
 * (CLIP's symmetric InfoNCE loss, Radford et al. 2021, trained by models/recipes/scenes/train.py clip)
 * with its own image encoder. CLIPScore (Hessel et al. 2021, w = 1) of an image and its prompt is
 * 100 * max(cos(image embedding, text embedding), 0); a set's score is the mean over its images.
 * `clipChecks` checks the model itself on real held-out scenes: own captions against shuffled ones,
 * and zero-shot attribute accuracy against chance.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError, ModelFileError, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { bootstrapMean, type Interval } from '../evaluation/bootstrap.js';
import { rawImageToPng, type RawImage } from '../image/tensorPng.js';
import { OnnxModel } from '../onnx/session.js';
import { loadClipTokenizer, type ClipTokenizer } from '../onnx/tokenizer.js';
import { sceneCaption, sceneDataset, SCENE_ATTRIBUTES, type SceneSpec } from '../scenes/scene.js';
import { EVAL_SEED, pngsToPixels, quantizePixels, rawImagesToPixels } from './sceneEvaluator.js';

/** Images (or texts) per encoder call. */
const BATCH = 100;

/** models/scenes-clip/config.json, the fields the course reads. */
export interface SceneClipConfig {
  /** Length of both embeddings. */
  embedDim: number;
  /** Side of the square images the image encoder takes (others are resized to it). */
  nativeSize: number;
  /** The learned temperature's exp (CLIP's logit scale) at the end of training; recorded, not used by CLIPScore. */
  logitScale: number;
}

/** Reads and checks `<dir>/config.json` of a SceneCLIP folder; errors name the field. */
export function readSceneClipConfig(dir: string): SceneClipConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file))
    throw new MissingResourceError(
      file,
      `scenes-clip: ${file} does not exist; train and export it with models/recipes/scenes/train.py clip`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(file, `scenes-clip: ${file} is not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidArgumentError('config.json', raw, 'a JSON object {_class_name: "SceneCLIP", embed_dim, ...}');
  const c = raw as Record<string, unknown>;
  if (c._class_name !== 'SceneCLIP')
    throw new InvalidArgumentError('config.json _class_name', c._class_name, '"SceneCLIP"');
  const embedDim = requireInteger('config.json embed_dim', c.embed_dim, 1, 65_536);
  const nativeSize = requireInteger('config.json native_size', c.native_size, 1, 4096);
  const logitScale = c.logit_scale;
  if (typeof logitScale !== 'number' || !Number.isFinite(logitScale) || logitScale <= 0)
    throw new InvalidArgumentError('config.json logit_scale', logitScale, 'a finite number > 0');
  return { embedDim, nativeSize, logitScale };
}

/** Cosine similarity of row i of `a` and row j of `b` (rows of length `dim`); 0 when either row is all zeros. */
function cosineRows(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, dim: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < dim; k++) {
    const x = a[i * dim + k];
    const y = b[j * dim + k];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function checkEmbeddings(field: string, e: ArrayLike<number>, dim: number): number {
  if (e === null || typeof e !== 'object' || typeof e.length !== 'number')
    throw new InvalidArgumentError(field, e, `a Float32Array of rows of ${dim} values`);
  if (e.length === 0 || e.length % dim !== 0)
    throw new InvalidArgumentError(`${field}.length`, e.length, `a positive multiple of the embedding dim ${dim}`);
  for (let k = 0; k < e.length; k++)
    if (!Number.isFinite(e[k])) throw new InvalidArgumentError(`${field}[${k}]`, e[k], 'a finite number');
  return e.length / dim;
}

/**
 * CLIPScore of each image with its text (Hessel et al. 2021, w = 1): 100 * max(cos(image_i, text_i), 0),
 * from embeddings given as rows of `dim` values (normalised or not: the cosine divides by the norms).
 */
export function clipScoresFromEmbeddings(
  imageEmbeds: ArrayLike<number>,
  textEmbeds: ArrayLike<number>,
  dim: number,
): Float64Array {
  requireInteger('dim', dim, 1);
  const n = checkEmbeddings('imageEmbeds', imageEmbeds, dim);
  const m = checkEmbeddings('textEmbeds', textEmbeds, dim);
  if (m !== n) throw new InvalidArgumentError('textEmbeds', `${m} rows`, `one row per image row (${n})`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = 100 * Math.max(cosineRows(imageEmbeds, i, textEmbeds, i, dim), 0);
  return out;
}

/** For each image row, the index of the candidate text row with the highest cosine (first on ties). */
export function argmaxCosine(
  imageEmbeds: ArrayLike<number>,
  candidates: readonly ArrayLike<number>[],
  dim: number,
): number[] {
  requireInteger('dim', dim, 1);
  const n = checkEmbeddings('imageEmbeds', imageEmbeds, dim);
  if (!Array.isArray(candidates) || candidates.length !== n)
    throw new InvalidArgumentError('candidates', candidates?.length, `one list of candidate rows per image (${n})`);
  return candidates.map((c, i) => {
    const k = checkEmbeddings(`candidates[${i}]`, c, dim);
    let best = 0;
    let bestCos = -Infinity;
    for (let j = 0; j < k; j++) {
      const cos = cosineRows(imageEmbeds, i, c, j, dim);
      if (cos > bestCos) {
        bestCos = cos;
        best = j;
      }
    }
    return best;
  });
}

/** Images for `SceneClip`: 8-bit RGB images of any size, or CHW float pixels in [0, 1] of `n` images of size x size. */
export type ClipImages = readonly RawImage[] | { pixels: Float32Array; n: number; size: number };

/** The scenes-clip model (models/scenes-clip): image and text encoders, tokenizer and config. */
export class SceneClip {
  private constructor(
    /** The folder it was loaded from. */
    readonly dir: string,
    readonly config: SceneClipConfig,
    readonly tokenizer: ClipTokenizer,
    private readonly imageEncoder: OnnxModel,
    private readonly textEncoder: OnnxModel,
  ) {}

  /** Length of the embeddings. */
  get embedDim(): number {
    return this.config.embedDim;
  }

  /**
   * Opens `<dir>`: config.json, image_encoder/model.onnx, text_encoder/model.onnx and tokenizer/, on
   * the CPU (the course's scoring models run there, whatever the pipelines use).
   */
  static async load(dir: string): Promise<SceneClip> {
    if (typeof dir !== 'string' || dir.trim() === '')
      throw new InvalidArgumentError('dir', dir, 'the path of a scenes-clip model folder');
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
      throw new MissingResourceError(
        dir,
        `scenes-clip folder ${dir} does not exist; train and export it with models/recipes/scenes/train.py clip`,
      );
    const config = readSceneClipConfig(dir);
    const tokenizer = loadClipTokenizer(path.join(dir, 'tokenizer'));
    const open = (sub: string) =>
      OnnxModel.open(path.join(dir, sub, 'model.onnx'), {
        executionProviders: ['cpu'],
        component: `scenes-clip ${sub}`,
      });
    const imageEncoder = await open('image_encoder');
    let textEncoder: OnnxModel;
    try {
      textEncoder = await open('text_encoder');
    } catch (e) {
      await imageEncoder.release();
      throw e;
    }
    const clip = new SceneClip(dir, config, tokenizer, imageEncoder, textEncoder);
    for (const [model, input, output] of [
      [imageEncoder, 'pixel_values', 'image_embeds'],
      [textEncoder, 'input_ids', 'text_embeds'],
    ] as const) {
      const problem = !model.hasInput(input)
        ? `has no input ${input}`
        : !model.outputs.some((o) => o.name === output)
          ? `has no output ${output}`
          : undefined;
      if (problem) {
        await clip.release();
        throw new ModelFileError(model.path, `${model.component}: ${model.path} ${problem} (the scenes-clip contract)`);
      }
    }
    return clip;
  }

  /** Embeddings (rows of embedDim, as the encoder returns them) of one output, checked for the embed dim. */
  private embeddings(field: string, data: ArrayLike<number>, dims: readonly number[], rows: number): Float32Array {
    if (dims.length !== 2 || dims[0] !== rows || dims[1] !== this.config.embedDim)
      throw new InvalidArgumentError(
        field,
        `[${dims.join(', ')}]`,
        `[${rows}, ${this.config.embedDim}] (config.json embed_dim = ${this.config.embedDim})`,
      );
    return data as Float32Array;
  }

  /**
   * Image embeddings, one row of embedDim per image (L2-normalised by the model). 8-bit images of
   * another size than the native one are resized to it through PNG with sharp (Lanczos-3), as the
   * evaluation session does for the scene evaluator; float pixels must have the native size.
   */
  async embedImages(images: ClipImages): Promise<Float32Array> {
    const size = this.config.nativeSize;
    let pixels: Float32Array;
    let n: number;
    if (Array.isArray(images)) {
      const list = images as readonly RawImage[];
      if (list.length === 0) throw new InvalidArgumentError('images', 0, 'at least one image');
      n = list.length;
      pixels = list.every((p) => p.width === size && p.height === size)
        ? rawImagesToPixels(list, size)
        : await pngsToPixels(await Promise.all(list.map((p) => rawImageToPng(p))), size, { resize: true });
    } else {
      const p = images as { pixels: Float32Array; n: number; size: number };
      if (p === null || typeof p !== 'object' || !(p.pixels instanceof Float32Array))
        throw new InvalidArgumentError('images', p, 'an array of RGB images or {pixels: Float32Array, n, size}');
      n = requireInteger('images.n', p.n, 1);
      if (p.size !== size)
        throw new InvalidArgumentError(
          'images.size',
          p.size,
          `the model's native size ${size} (config.json native_size)`,
        );
      if (p.pixels.length !== n * 3 * size * size)
        throw new InvalidArgumentError('images.pixels.length', p.pixels.length, `${n} x 3 x ${size} x ${size}`);
      pixels = p.pixels;
    }
    const per = 3 * size * size;
    const out = new Float32Array(n * this.config.embedDim);
    for (let s = 0; s < n; s += BATCH) {
      const b = Math.min(BATCH, n - s);
      const r = await this.imageEncoder.run({
        pixel_values: { data: pixels.subarray(s * per, (s + b) * per), dims: [b, 3, size, size] },
      });
      const e = r.image_embeds;
      out.set(this.embeddings('image_embeds', e.data as Float32Array, e.dims, b), s * this.config.embedDim);
    }
    return out;
  }

  /** Text embeddings, one row of embedDim per prompt (tokenized to the tokenizer's max length, L2-normalised by the model). */
  async embedTexts(prompts: readonly string[]): Promise<Float32Array> {
    if (!Array.isArray(prompts) || prompts.length === 0)
      throw new InvalidArgumentError('prompts', prompts, 'a non-empty array of strings');
    prompts.forEach((p, i) => {
      if (typeof p !== 'string') throw new InvalidArgumentError(`prompts[${i}]`, p, 'a string');
    });
    const seqLen = this.tokenizer.maxLength;
    const int64 = this.textEncoder.input('input_ids').type === 'int64';
    const out = new Float32Array(prompts.length * this.config.embedDim);
    for (let s = 0; s < prompts.length; s += BATCH) {
      const batch = prompts.slice(s, s + BATCH);
      const ids = new Int32Array(batch.length * seqLen);
      batch.forEach((p, r) => ids.set(this.tokenizer.encode(p).ids, r * seqLen));
      const data = int64 ? BigInt64Array.from(ids, (v) => BigInt(v)) : ids;
      const r = await this.textEncoder.run({ input_ids: { data, dims: [batch.length, seqLen] } });
      const e = r.text_embeds;
      out.set(this.embeddings('text_embeds', e.data as Float32Array, e.dims, batch.length), s * this.config.embedDim);
    }
    return out;
  }

  /** CLIPScore of image i with prompts[i]: 100 * max(cos, 0) per image (see clipScoresFromEmbeddings). */
  async clipScores(images: ClipImages, prompts: readonly string[]): Promise<Float64Array> {
    const n = Array.isArray(images) ? images.length : (images as { n: number })?.n;
    if (!Array.isArray(prompts) || prompts.length !== n)
      throw new InvalidArgumentError('prompts', prompts?.length, `one prompt per image (${n})`);
    const [im, tx] = [await this.embedImages(images), await this.embedTexts(prompts)];
    return clipScoresFromEmbeddings(im, tx, this.config.embedDim);
  }

  async release(): Promise<void> {
    await this.imageEncoder.release();
    await this.textEncoder.release();
  }
}

/** The attributes the zero-shot check classifies: the four every caption names. */
export const CLIP_ZERO_SHOT_ATTRIBUTES = ['timeOfDay', 'terrain', 'palette', 'style'] as const;
export type ClipZeroShotAttribute = (typeof CLIP_ZERO_SHOT_ATTRIBUTES)[number];

/** What `clipChecks` measures on real held-out scenes. */
export interface ClipChecks {
  /** Scenes (sceneDataset(n, seed), 8-bit levels as the evaluation's reference). */
  n: number;
  seed: number;
  /** Mean CLIPScore of each scene with its own caption, 95% bootstrap interval over the scenes. */
  ownCaptions: Interval;
  /** Mean CLIPScore of each scene with another scene's caption (a seeded derangement: never its own index). */
  shuffledCaptions: Interval;
  /** Mean of (own - shuffled) per scene with its interval: the gap the two rows above show, paired. */
  ownMinusShuffled: Interval;
  /**
   * Zero-shot attribute accuracy: for each scene, its caption with the attribute set to each allowed
   * value (sceneCaption; for timeOfDay the sun/moon follows the time and stars are kept only at night,
   * as the scene grammar has them) and the arg-max cosine; accuracy with its interval, and chance = 1 / values.
   */
  zeroShot: Record<ClipZeroShotAttribute, { accuracy: Interval; chance: number; values: number }>;
}

/** A permutation of 0..n-1 with no fixed point (Sattolo's algorithm: a random n-cycle), from Rng(seed). */
export function derangement(n: number, seed: number): number[] {
  requireInteger('n', n, 2);
  const rng = new Rng(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i - 1, Math.floor(rng.uniform1() * i));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The caption of `spec` with attribute `a` set to `value` (see ClipChecks.zeroShot). */
export function attributeCaption(spec: SceneSpec, a: ClipZeroShotAttribute, value: string): string {
  const allowed = SCENE_ATTRIBUTES[a] as readonly string[];
  if (!allowed.includes(value)) throw new InvalidArgumentError(a, value, `one of ${allowed.join(', ')}`);
  const s = { ...spec, [a]: value } as SceneSpec;
  if (a === 'timeOfDay' && value !== 'night') s.stars = false;
  return sceneCaption(s);
}

/**
 * Checks of a CLIP model on `n` real held-out scenes (sceneDataset(n, seed), default EVAL_SEED, the
 * evaluation's reference scenes): own vs shuffled captions and zero-shot attribute accuracy (see ClipChecks).
 * Intervals: 95% bootstrap over the scenes (bootstrapMean, `reps` resamples, seed 0).
 */
export async function clipChecks(
  clip: SceneClip,
  n: number,
  seed = EVAL_SEED,
  options: { reps?: number } = {},
): Promise<ClipChecks> {
  if (!(clip instanceof SceneClip)) throw new InvalidArgumentError('clip', clip, 'a SceneClip (SceneClip.load)');
  requireInteger('n', n, 2, 100_000);
  requireInteger('seed', seed, 0);
  const reps = options.reps ?? 1000;
  const size = clip.config.nativeSize;
  const scenes = sceneDataset(n, seed, size);
  const per = 3 * size * size;
  const pixels = new Float32Array(n * per);
  scenes.forEach((s, i) => pixels.set(quantizePixels(s.pixels), i * per));
  const dim = clip.embedDim;
  const images = await clip.embedImages({ pixels, n, size });
  const captions = scenes.map((s) => s.caption);
  const texts = await clip.embedTexts(captions);
  const own = clipScoresFromEmbeddings(images, texts, dim);
  const perm = derangement(n, seed);
  const shuffledTexts = new Float32Array(n * dim);
  perm.forEach((j, i) => shuffledTexts.set(texts.subarray(j * dim, (j + 1) * dim), i * dim));
  const shuffled = clipScoresFromEmbeddings(images, shuffledTexts, dim);
  // Recentred percentile intervals can end a hair past the range a mean can take; clamp to it.
  const mean = (v: ArrayLike<number>, min = 0, max = 100): Interval => {
    const i = bootstrapMean(v, { reps, seed: 0 });
    return { ...i, low: Math.max(min, i.low), high: Math.min(max, i.high) };
  };
  const zeroShot = {} as ClipChecks['zeroShot'];
  for (const a of CLIP_ZERO_SHOT_ATTRIBUTES) {
    const values = SCENE_ATTRIBUTES[a] as readonly string[];
    const candidateCaptions = scenes.map((s) => values.map((v) => attributeCaption(s.spec, a, v)));
    const unique = [...new Set(candidateCaptions.flat())];
    const emb = await clip.embedTexts(unique);
    const row = new Map(unique.map((c, k) => [c, k]));
    const candidates = candidateCaptions.map((cs) => {
      const out = new Float32Array(cs.length * dim);
      cs.forEach((c, j) => {
        const k = row.get(c)!;
        out.set(emb.subarray(k * dim, (k + 1) * dim), j * dim);
      });
      return out;
    });
    const picked = argmaxCosine(images, candidates, dim);
    const correct = picked.map((j, i) => (values[j] === scenes[i].spec[a] ? 1 : 0));
    zeroShot[a] = { accuracy: mean(correct, 0, 1), chance: 1 / values.length, values: values.length };
  }
  return {
    n,
    seed,
    ownCaptions: mean(own),
    shuffledCaptions: mean(shuffled),
    ownMinusShuffled: mean(
      own.map((v, i) => v - shuffled[i]),
      -100,
      100,
    ),
    zeroShot,
  };
}
