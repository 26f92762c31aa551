/**
 * Helpers of notebook 03, "Generating images with fewer steps": the speed colour code relative to a
 * reference time and per-step previews of the denoised estimate (timing: src/bench's
 * benchmarkInterleaved; the time-per-step line: speedLineFit in src/bench/lineFit.ts).
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { GRID_SPEED_COLORS } from '../image/grid.js';
import { decodeImage } from '../image/tensorPng.js';
import type { GenerateOptions, TextToImagePipeline } from '../onnx/pipeline.js';
import type { CoursePlan, SamplingMethod } from './plan.js';

/** The course's speed classes (caption colours of GRID_SPEED_COLORS). */
export type StepSpeedClass = keyof typeof GRID_SPEED_COLORS;

/** Limits of the speed colour code as fractions of a reference time (fast below `fast`, medium below `medium`, else slow). */
export interface StepSpeedThresholds {
  fast: number;
  medium: number;
}

/** Notebook 03's thresholds, relative to the 50-step time: fast under 25% of it, medium under 60%, slow above (as notebook 01). */
export const STEP_SPEED_THRESHOLDS: Readonly<StepSpeedThresholds> = Object.freeze({ fast: 0.25, medium: 0.6 });

function checkThresholds(t: StepSpeedThresholds): StepSpeedThresholds {
  if (t === null || typeof t !== 'object')
    throw new InvalidArgumentError('thresholds', t, 'expected {fast, medium} fractions of the reference time');
  const fast = requireFinite('thresholds.fast', t.fast, Number.MIN_VALUE);
  const medium = requireFinite('thresholds.medium', t.medium, Number.MIN_VALUE);
  if (medium < fast)
    throw new InvalidArgumentError('thresholds.medium', medium, `expected >= thresholds.fast (${fast})`);
  return { fast, medium };
}

/** The speed class of a time `ms` relative to `referenceMs`: 'fast' if ms < fast * ref, 'medium' if ms < medium * ref, else 'slow'. */
export function stepSpeedClass(
  ms: number,
  referenceMs: number,
  thresholds: StepSpeedThresholds = STEP_SPEED_THRESHOLDS,
): StepSpeedClass {
  requireFinite('ms', ms, 0);
  requireFinite('referenceMs', referenceMs, Number.MIN_VALUE);
  const { fast, medium } = checkThresholds(thresholds);
  return ms < fast * referenceMs ? 'fast' : ms < medium * referenceMs ? 'medium' : 'slow';
}

/** The caption colour (GRID_SPEED_COLORS) of stepSpeedClass(ms, referenceMs, thresholds). */
export function stepSpeedColor(
  ms: number,
  referenceMs: number,
  thresholds: StepSpeedThresholds = STEP_SPEED_THRESHOLDS,
): string {
  return GRID_SPEED_COLORS[stepSpeedClass(ms, referenceMs, thresholds)];
}

/** `k` indices spread evenly over 0..n-1 (round(i (n-1) / (k-1))), always the first and the last; all n when k >= n. */
export function evenlySpacedIndices(n: number, k: number): number[] {
  requireInteger('n', n, 1);
  requireInteger('k', k, 1);
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [n - 1];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/** The distinct sampling methods a plan uses over its step counts (e.g. LCM and DPM-Solver++ on the teacher), in order of first use. */
export function plannedMethods(plan: Pick<CoursePlan, 'stepCounts' | 'methodFor'>): SamplingMethod[] {
  const out: SamplingMethod[] = [];
  for (const steps of plan.stepCounts) {
    const m = plan.methodFor(steps);
    if (!out.some((o) => o.name === m.name && o.dir === m.dir)) out.push(m);
  }
  return out;
}

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
