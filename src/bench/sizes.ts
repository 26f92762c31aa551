/** The image sizes of a resolution sweep around a model's native size. */
import { requireFinite, requireInteger } from '../core/errors.js';

/**
 * Image sizes around a model's native one: `factors` x native (default 0.5, 0.75, 1, 1.5, 2),
 * rounded to a multiple of `multiple` (default 16 px: the VAE's factor 8 times one 2x down-sampling
 * in the shipped UNets) and kept within [min, max]; sorted, without repeats.
 */
export function resolutionLadder(
  native: number,
  options: { factors?: readonly number[]; multiple?: number; min?: number; max?: number } = {},
): number[] {
  requireInteger('native', native, 1);
  const multiple = requireInteger('multiple', options.multiple ?? 16, 1);
  const min = requireInteger('min', options.min ?? multiple, 1);
  const max = requireInteger('max', options.max ?? 4 * native, min);
  const factors = options.factors ?? [0.5, 0.75, 1, 1.5, 2];
  const sizes = new Set<number>();
  factors.forEach((f, i) => {
    requireFinite(`factors[${i}]`, f, 0);
    const s = Math.round((f * native) / multiple) * multiple;
    if (s >= min && s <= max && s > 0) sizes.add(s);
  });
  return [...sizes].sort((a, b) => a - b);
}
