import { InvalidArgumentError } from '../core/errors.js';
import { paretoFrontIndices } from './front.js';
import type { ParetoPoint } from './types.js';

/** The knee of a front: the point, its index in the input, and its normalised distance to the chord. */
export interface KneeResult<T extends ParetoPoint> {
  point: T;
  index: number;
  /** Perpendicular distance to the chord joining the extremes, in the normalised [0, 1]^2 plane. */
  distance: number;
}

/**
 * Knee point of the Pareto front of `points` (dominated points are ignored): the front is
 * normalised to [0, 1] on both axes (cost by its range, quality by its range), so its extremes
 * become (0, 0) (cheapest) and (1, 1) (best), and the knee is the front point farthest above the
 * chord joining them, i.e. maximising (q' - c') / sqrt(2). This is the "Kneedle" difference curve
 * (Satopaa, Albrecht, Irwin, Raghavan 2011, "Finding a 'Kneedle' in a Haystack", ICDCS-W), which is
 * also the maximum-distance-to-the-extremes-line knee of Das (1999). Ties go to the lower cost. A
 * front of one or two points has no interior: its cheapest point is returned with distance 0.
 */
export function kneePoint<T extends ParetoPoint>(points: readonly T[]): KneeResult<T> {
  const idx = paretoFrontIndices(points);
  if (idx.length === 0) {
    throw new InvalidArgumentError('points', points, 'expected at least one point to find a knee');
  }
  const first = points[idx[0]];
  const last = points[idx[idx.length - 1]];
  const costRange = last.cost - first.cost;
  const qualityRange = last.quality - first.quality;
  let best = 0;
  let bestDistance = 0;
  if (costRange > 0 && qualityRange > 0) {
    bestDistance = -Infinity;
    for (let k = 0; k < idx.length; k++) {
      const p = points[idx[k]];
      const d = ((p.quality - first.quality) / qualityRange - (p.cost - first.cost) / costRange) / Math.SQRT2;
      if (d > bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
  }
  return { point: points[idx[best]], index: idx[best], distance: bestDistance };
}
