import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/**
 * A smooth colour gradient, height x width x 3, HWC, values in [0, 1]: red grows left to right,
 * green grows top to bottom, blue falls along the diagonal. The "target image" of the course's
 * simulated-denoising picture.
 */
export function gradientTargetImage(height = 64, width = 64): Float32Array {
  requireInteger('height', height, 1, 4096);
  requireInteger('width', width, 1, 4096);
  const out = new Float32Array(height * width * 3);
  const fx = width > 1 ? 1 / (width - 1) : 0;
  const fy = height > 1 ? 1 / (height - 1) : 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      out[o] = x * fx;
      out[o + 1] = y * fy;
      out[o + 2] = 1 - 0.5 * (x * fx + y * fy);
    }
  }
  return out;
}

/** Options of `simulatedDenoising`. */
export interface SimulatedDenoisingOptions {
  /** Number of "denoising" steps k (default 10). */
  steps?: number;
  /** Image size (default 64 x 64); a given `target` must have this size. */
  height?: number;
  width?: number;
  /** Seed of the starting noise (default 0). */
  seed?: number;
  /** Target image, HWC in [0, 1], height x width x 3 (default: `gradientTargetImage(height, width)`). */
  target?: Float32Array;
}

/** The frames of the simulation, all HWC Float32Array in [0, 1]. */
export interface SimulatedDenoisingResult {
  /** Always 'HWC' (height, width, 3 channels, row-major), values in [0, 1]. */
  layout: 'HWC';
  height: number;
  width: number;
  /** The starting image: uniform noise in (0, 1). */
  noise: Float32Array;
  target: Float32Array;
  /** frames[i] is the image after step i + 1 (k frames); the last one equals the target. */
  frames: Float32Array[];
  /** noiseLevels[i] = 1 - (i + 1) / k: the weight of the noise in frames[i]. */
  noiseLevels: number[];
}

/**
 * The original course's "simulated denoising" picture, kept for what it is.
 * This is a simulation for intuition, not a diffusion model. There is no network, no noise schedule
 * and no denoiser: frame i is the straight interpolation (1 - lambda_i) * target + lambda_i * noise with
 * the noise weight lambda_i = 1 - (i + 1) / k shrinking linearly to 0 over k steps. It shows only
 * the idea "start from noise, end at an image, a little less noise each step"; the toy mixture
 * samplers (createToyModel + runSampler) show the real thing.
 */
export function simulatedDenoising(options: SimulatedDenoisingOptions = {}): SimulatedDenoisingResult {
  const steps = requireInteger('steps', options.steps ?? 10, 1, 10000);
  const height = requireInteger('height', options.height ?? 64, 1, 4096);
  const width = requireInteger('width', options.width ?? 64, 1, 4096);
  const seed = requireInteger('seed', options.seed ?? 0, 0);
  const target = options.target ?? gradientTargetImage(height, width);
  if (!(target instanceof Float32Array) || target.length !== height * width * 3) {
    const shown = target instanceof Float32Array ? `Float32Array(${target.length})` : typeof target;
    throw new InvalidArgumentError(
      'target',
      shown,
      `expected a Float32Array of height x width x 3 = ${height * width * 3} values in [0, 1] (HWC)`,
    );
  }
  for (let i = 0; i < target.length; i++) {
    if (!(target[i] >= 0 && target[i] <= 1))
      throw new InvalidArgumentError(`target[${i}]`, target[i], 'expected a value in [0, 1]');
  }
  const noise = new Rng(seed).uniform(height * width * 3);
  const frames: Float32Array[] = [];
  const noiseLevels: number[] = [];
  for (let i = 0; i < steps; i++) {
    const lambda = 1 - (i + 1) / steps;
    const frame = new Float32Array(target.length);
    for (let p = 0; p < frame.length; p++) frame[p] = (1 - lambda) * target[p] + lambda * noise[p];
    frames.push(frame);
    noiseLevels.push(lambda);
  }
  return { layout: 'HWC', height, width, noise, target, frames, noiseLevels };
}
