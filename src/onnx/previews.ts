/** Per-step previews of a pipeline run: the decoded denoised estimate (predicted x_0) after every step. */
import { InvalidArgumentError } from '../core/errors.js';
import type { GenerateOptions, TextToImagePipeline } from './pipeline.js';

/** What collectDenoisedPreviews returns. */
export interface DenoisedPreviews {
  /** PNG of the decoded denoised estimate (predicted clean image) after each step, first image of the batch. */
  previews: Buffer[];
  /** The timestep of each step. */
  timesteps: number[];
  /** The finished image (first of the batch). */
  image: Buffer;
}

/**
 * Generates once with `previews: true` and collects, at every step, the PNG of the decoded
 * denoised estimate (the scheduler's predicted x_0) of the first image, with the step's timestep.
 */
export async function collectDenoisedPreviews(
  pipe: TextToImagePipeline,
  options: GenerateOptions,
): Promise<DenoisedPreviews> {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options', options, 'expected generate options');
  if (options.callback !== undefined)
    throw new InvalidArgumentError('callback', '<function>', 'none: collectDenoisedPreviews installs its own callback');
  if (options.previews === false)
    throw new InvalidArgumentError('previews', false, 'true or left out: previews are what is collected');
  const previews: Buffer[] = [];
  const timesteps: number[] = [];
  const result = await pipe.generate({
    ...options,
    previews: true,
    callback: (info) => {
      previews.push(info.previews![0]);
      timesteps.push(info.timestep);
    },
  });
  return { previews, timesteps, image: result.images[0] };
}
