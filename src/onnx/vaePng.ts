import { InvalidArgumentError } from '../core/errors.js';
import { rawImageToPng, tensorToRawImage, type ImageChannels, type RawImage } from '../image/tensorPng.js';

/**
 * VAE decoder output -> one PNG per image. `data` is [batch, channels, height, width] (NCHW,
 * channels 3 or 1) with values in [-1, 1], mapped to 0..255 as diffusers' VaeImageProcessor does
 * (denormalize, clamp, round), by src/image's tensorToPng.
 */
export async function vaeOutputToPngs(data: Float32Array, dims: readonly number[]): Promise<Buffer[]> {
  const images: Buffer[] = [];
  for (const raw of vaeOutputToRawImages(data, dims)) images.push(await rawImageToPng(raw));
  return images;
}

/**
 * VAE decoder output -> one 8-bit interleaved image per batch row, the pixels vaeOutputToPngs
 * encodes (same mapping, src/image's tensorToRawImage): decoding those PNGs gives these bytes back.
 */
export function vaeOutputToRawImages(data: Float32Array, dims: readonly number[]): RawImage[] {
  if (dims.length !== 4 || dims.reduce((a, b) => a * b, 1) !== data.length || (dims[1] !== 3 && dims[1] !== 1)) {
    throw new InvalidArgumentError(
      'dims',
      dims,
      `expected [batch, 3 or 1, height, width] matching ${data.length} values`,
    );
  }
  const [batch, channels, height, width] = dims;
  const per = channels * height * width;
  const images: RawImage[] = [];
  for (let b = 0; b < batch; b++) {
    images.push(
      tensorToRawImage(data.subarray(b * per, (b + 1) * per), {
        width,
        height,
        channels: channels as ImageChannels,
        layout: 'chw',
        range: [-1, 1],
      }),
    );
  }
  return images;
}
