/** Edge energy, a gradient-energy sharpness measure of an image (notebook 03). */
import { InvalidArgumentError } from '../core/errors.js';
import { decodeImage } from '../image/tensorPng.js';

/**
 * Edge energy of an image: the root-mean-square difference between horizontally and vertically
 * adjacent pixels, over the RGB values, in 8-bit units (0 for a flat image, 255 for a black-and-white
 * checkerboard). A gradient-energy sharpness measure: blur lowers it.
 */
export async function edgeEnergy(png: Uint8Array): Promise<number> {
  const { data, width, height } = await decodeImage(png, { channels: 3 });
  if (width * height < 2)
    throw new InvalidArgumentError(
      'png',
      `${width}x${height} image`,
      'an image of at least 2 pixels (edges need neighbours)',
    );
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        if (x + 1 < width) {
          const dx = data[p + 3 + c] - data[p + c];
          sum += dx * dx;
          count++;
        }
        if (y + 1 < height) {
          const dy = data[p + width * 3 + c] - data[p + c];
          sum += dy * dy;
          count++;
        }
      }
    }
  }
  return Math.sqrt(sum / count);
}
