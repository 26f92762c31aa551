import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import type { RawImage } from '../image/tensorPng.js';
import type { GenerateOptions, TextToImagePipeline } from './pipeline.js';

/** Settings of generateImageSet: everything of GenerateOptions but the prompts, seeds and callbacks. */
export type ImageSetOptions = Omit<
  GenerateOptions,
  'prompt' | 'prompts' | 'seed' | 'seeds' | 'batchSize' | 'callback' | 'previews' | 'output'
> & {
  /** Images per generate() call (default 25). */
  batchSize?: number;
  /** Seed of image 0 (default 1000, as npm run eval:models); image i gets firstSeed + i. */
  firstSeed?: number;
  /** Throw when the tokenizer reports a word outside the model's vocabulary (default false). */
  rejectUnknownWords?: boolean;
};

/**
 * One image per prompt, image i with seed firstSeed + i whatever the batching (so sets made with
 * different batch sizes are the same images), in generate() calls of `batchSize`; the PNGs in prompt
 * order. This is how quality is measured throughout: image i of every method is drawn for the same
 * prompt from the same seed.
 */
export async function generateImageSet(
  pipe: TextToImagePipeline,
  prompts: readonly string[],
  options: ImageSetOptions = {},
): Promise<Buffer[]> {
  return (await imageSet(pipe, prompts, options, 'png')) as Buffer[];
}

/**
 * generateImageSet's images as 8-bit RGB pixels instead of PNGs (the same images: decoding
 * generateImageSet's PNGs gives these bytes), for measurements that score pixels.
 */
export async function generateImagePixels(
  pipe: TextToImagePipeline,
  prompts: readonly string[],
  options: ImageSetOptions = {},
): Promise<RawImage[]> {
  return (await imageSet(pipe, prompts, options, 'pixels')) as RawImage[];
}

async function imageSet(
  pipe: TextToImagePipeline,
  prompts: readonly string[],
  options: ImageSetOptions,
  output: 'png' | 'pixels',
): Promise<(Buffer | RawImage)[]> {
  if (!Array.isArray(prompts) || prompts.length === 0)
    throw new InvalidArgumentError('prompts', prompts, 'a non-empty array of prompts');
  const { batchSize = 25, firstSeed = 1000, rejectUnknownWords = false, ...rest } = options;
  requireInteger('batchSize', batchSize, 1, 1000);
  requireInteger('firstSeed', firstSeed, 0);
  const out: (Buffer | RawImage)[] = [];
  for (let s = 0; s < prompts.length; s += batchSize) {
    const chunk = prompts.slice(s, s + batchSize);
    const r = await pipe.generate({
      ...rest,
      prompts: chunk,
      seeds: chunk.map((_, i) => firstSeed + s + i),
      output,
    });
    if (rejectUnknownWords) {
      r.unknownWords.forEach((u, i) => {
        if (u.length)
          throw new InvalidArgumentError(
            'prompt',
            chunk[i],
            `no unknown words; the tokenizer reported ${u.join(', ')}`,
          );
      });
    }
    out.push(...(output === 'pixels' ? r.pixels! : r.images));
  }
  return out;
}
