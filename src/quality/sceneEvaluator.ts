/**
 * The scene evaluator (models/scenes-evaluator): a small CNN that predicts a scene's attributes. Its
 * features give the course's Frechet distance on our domain (the FID idea) and its predictions the
 * prompt-adherence score (the CLIP-score idea). Used by `npm run eval:models` and the notebooks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { InvalidArgumentError, MissingResourceError, requireInteger } from '../core/errors.js';
import { pngToTensor, rawImageToTensor, type RawImage } from '../image/tensorPng.js';
import { threadingOptions } from '../onnx/session.js';
import { parseScenePrompt, sceneDataset, SCENE_ATTRIBUTES, type SceneSpec } from '../scenes/scene.js';

/** The attributes the evaluator predicts, in its head order. */
export const EVAL_ATTRIBUTES = ['timeOfDay', 'terrain', 'palette', 'style', 'celestial', 'clouds', 'stars'] as const;
export type EvalAttribute = (typeof EVAL_ATTRIBUTES)[number];
/** A scene's attributes as the evaluator sees them. */
export type SceneAttributes = Record<EvalAttribute, string | boolean>;

/** One classification head of the evaluator (config.json `heads`). */
export interface EvaluatorHead {
  name: EvalAttribute;
  values: (string | boolean)[];
  /** Index of the head's first logit. */
  offset: number;
}

/** Seed of the held-out scenes the evaluation draws (training used 0.., the recipe's check 1,000,000..). */
export const EVAL_SEED = 3_000_000;

/** The attributes of a scene specification. */
export function specAttributes(spec: SceneSpec): SceneAttributes {
  return {
    timeOfDay: spec.timeOfDay,
    terrain: spec.terrain,
    palette: spec.palette,
    style: spec.style,
    celestial: spec.celestial,
    clouds: spec.clouds,
    stars: spec.stars,
  };
}

/**
 * The full attribute set a scene prompt asks for: time of day, terrain, palette and style must be
 * named; sun/moon, clouds and stars are requested when named and absent otherwise (as in the
 * captions). Throws when the prompt misses a main attribute or has words outside the scene language.
 */
export function promptAttributes(prompt: string): SceneAttributes {
  const { spec, unknownWords } = parseScenePrompt(prompt);
  if (unknownWords.length > 0)
    throw new InvalidArgumentError('prompt', prompt, `only scene words; unknown: ${unknownWords.join(', ')}`);
  for (const key of ['timeOfDay', 'terrain', 'palette', 'style'] as const) {
    if (spec[key] === undefined)
      throw new InvalidArgumentError(
        'prompt',
        prompt,
        `a prompt naming the ${key} (one of ${SCENE_ATTRIBUTES[key].join(', ')})`,
      );
  }
  return {
    timeOfDay: spec.timeOfDay!,
    terrain: spec.terrain!,
    palette: spec.palette!,
    style: spec.style!,
    celestial: spec.celestial ?? false,
    clouds: spec.clouds ?? false,
    stars: spec.stars ?? false,
  };
}

/** Arg-max of each head for each of `n` rows of logits (row length = the heads' total size). */
export function decodeAttributes(
  logits: ArrayLike<number>,
  n: number,
  heads: readonly EvaluatorHead[],
): SceneAttributes[] {
  const width = heads.reduce((s, h) => Math.max(s, h.offset + h.values.length), 0);
  if (logits.length !== n * width)
    throw new InvalidArgumentError('logits', logits.length, `${n} rows of ${width} logits`);
  const out: SceneAttributes[] = [];
  for (let i = 0; i < n; i++) {
    const row = {} as SceneAttributes;
    for (const h of heads) {
      let best = 0;
      for (let k = 1; k < h.values.length; k++)
        if (logits[i * width + h.offset + k] > logits[i * width + h.offset + best]) best = k;
      row[h.name] = h.values[best];
    }
    out.push(row);
  }
  return out;
}

/** Fraction of rows whose predicted value equals the true one, per attribute. */
export function attributeAccuracy(
  predicted: readonly SceneAttributes[],
  truth: readonly SceneAttributes[],
): Record<EvalAttribute, number> {
  if (predicted.length !== truth.length || predicted.length === 0) {
    throw new InvalidArgumentError(
      'predicted',
      predicted.length,
      `as many rows as truth (${truth.length}), at least one`,
    );
  }
  const acc = {} as Record<EvalAttribute, number>;
  for (const a of EVAL_ATTRIBUTES) acc[a] = predicted.filter((p, i) => p[a] === truth[i][a]).length / predicted.length;
  return acc;
}

/** Prompt adherence (our domain's CLIP score). */
export interface Adherence {
  /** Mean over images of the fraction of the prompt's 7 attributes the evaluator finds in the image. */
  mean: number;
  /** Fraction of images in which all 7 are found. */
  allCorrect: number;
  perAttribute: Record<EvalAttribute, number>;
}

/** Compares the evaluator's predictions on generated images with what their prompts asked for. */
export function promptAdherence(predicted: readonly SceneAttributes[], prompts: readonly string[]): Adherence {
  const wanted = prompts.map(promptAttributes);
  const perAttribute = attributeAccuracy(predicted, wanted);
  const mean = EVAL_ATTRIBUTES.reduce((s, a) => s + perAttribute[a], 0) / EVAL_ATTRIBUTES.length;
  const allCorrect =
    predicted.filter((p, i) => EVAL_ATTRIBUTES.every((a) => p[a] === wanted[i][a])).length / predicted.length;
  return { mean, allCorrect, perAttribute };
}

/** The scene evaluator ONNX model (models/scenes-evaluator). */
export class SceneEvaluator {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly heads: EvaluatorHead[],
    readonly featureDim: number,
    /** The folder it was opened from. */
    readonly dir: string,
  ) {}

  /** Opens `<dir>/model.onnx` and `<dir>/config.json`. */
  static async open(dir: string): Promise<SceneEvaluator> {
    const file = path.join(dir, 'model.onnx');
    if (!fs.existsSync(file))
      throw new MissingResourceError(
        file,
        `evaluator ${file} does not exist; train it with models/recipes/scenes/train.py`,
      );
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
      heads: EvaluatorHead[];
      feature_dim: number;
    };
    const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], ...threadingOptions() });
    return new SceneEvaluator(session, config.heads, config.feature_dim, dir);
  }

  /** Logits and features of `n` CHW RGB images in [0, 1] of size x size, in batches of 100. */
  async run(
    pixels: Float32Array,
    n: number,
    size: number,
  ): Promise<{ logits: Float32Array; features: Float32Array; attributes: SceneAttributes[] }> {
    const per = 3 * size * size;
    if (pixels.length !== n * per)
      throw new InvalidArgumentError('pixels', pixels.length, `${n} x 3 x ${size} x ${size} values`);
    const width = this.heads.reduce((s, h) => Math.max(s, h.offset + h.values.length), 0);
    const logits = new Float32Array(n * width);
    const features = new Float32Array(n * this.featureDim);
    for (let s = 0; s < n; s += 100) {
      const b = Math.min(100, n - s);
      const out = await this.session.run({
        pixel_values: new ort.Tensor('float32', pixels.subarray(s * per, (s + b) * per), [b, 3, size, size]),
      });
      logits.set(out.logits.data as Float32Array, s * width);
      features.set(out.features.data as Float32Array, s * this.featureDim);
    }
    return { logits, features, attributes: decodeAttributes(logits, n, this.heads) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** `png` resized to size x size with sharp (Lanczos-3, aspect ratio ignored); unchanged when it already has that size. */
async function resizeToSquare(png: Uint8Array, size: number): Promise<Uint8Array> {
  const meta = await sharp(png).metadata();
  if (meta.width === size && meta.height === size) return png;
  return sharp(png).resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).png().toBuffer();
}

/**
 * Decodes PNGs of size x size into one CHW float array in [0, 1] (what the evaluator takes); with
 * `resize`, PNGs of another size are first resized to size x size (Lanczos-3).
 */
export async function pngsToPixels(
  pngs: readonly Uint8Array[],
  size: number,
  options: { resize?: boolean } = {},
): Promise<Float32Array> {
  const per = 3 * size * size;
  const out = new Float32Array(pngs.length * per);
  for (let i = 0; i < pngs.length; i++) {
    const png = options.resize ? await resizeToSquare(pngs[i], size) : pngs[i];
    const t = await pngToTensor(png, { range: [0, 1], layout: 'chw' });
    if (t.data.length !== per)
      throw new InvalidArgumentError('image', `${t.width}x${t.height}x${t.channels}`, `${size}x${size}x3`);
    out.set(t.data, i * per);
  }
  return out;
}

/**
 * 8-bit RGB images of size x size (generateImagePixels) as one CHW float array in [0, 1]: the same
 * values pngsToPixels gives for the PNGs of those images, without encoding and decoding them.
 */
export function rawImagesToPixels(images: readonly RawImage[], size: number): Float32Array {
  const per = 3 * size * size;
  const out = new Float32Array(images.length * per);
  for (let i = 0; i < images.length; i++) {
    const t = rawImageToTensor(images[i], { range: [0, 1], layout: 'chw' });
    if (t.data.length !== per)
      throw new InvalidArgumentError(`images[${i}]`, `${t.width}x${t.height}x${t.channels}`, `${size}x${size}x3`);
    out.set(t.data, i * per);
  }
  return out;
}

/** Rounds to 8-bit levels, as a PNG would store the image. */
export function quantizePixels(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = Math.round(255 * Math.min(1, Math.max(0, x[k]))) / 255;
  return out;
}

/** Real held-out scenes as the evaluator's reference: pixels (8-bit levels), captions, true attributes. */
export interface SceneReference {
  n: number;
  size: number;
  seed: number;
  pixels: Float32Array;
  prompts: string[];
  truth: SceneAttributes[];
}

/** Draws `n` real scenes (default seed EVAL_SEED, held out from training) to compare generated images with. */
export function sceneReference(n: number, seed = EVAL_SEED, size = 64): SceneReference {
  requireInteger('n', n, 1, 100_000);
  const scenes = sceneDataset(n, seed, size);
  const per = 3 * size * size;
  const pixels = new Float32Array(n * per);
  scenes.forEach((s, i) => pixels.set(quantizePixels(s.pixels), i * per));
  return {
    n,
    size,
    seed,
    pixels,
    prompts: scenes.map((s) => s.caption),
    truth: scenes.map((s) => specAttributes(s.spec)),
  };
}
