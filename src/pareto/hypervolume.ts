import { InvalidArgumentError } from '../core/errors.js';
import { paretoFront } from './front.js';
import type { ParetoPoint } from './types.js';

/**
 * 2-D hypervolume (Zitzler & Thiele 1998, the "S metric"): the area of the region that the points
 * dominate and that is bounded by `reference`, for (minimise cost, maximise quality). The reference
 * is a worst point: every point must have cost <= reference.cost and quality >= reference.quality
 * (else InvalidArgumentError). Dominated points may be passed; they add nothing. An empty set has
 * hypervolume 0. Computed as the staircase sum over the front sorted by cost:
 * sum_i (c_{i+1} - c_i) (q_i - q_ref), with c_{n} = c_ref.
 */
export function hypervolume2d(points: readonly ParetoPoint[], reference: ParetoPoint): number {
  if (
    reference === null ||
    typeof reference !== 'object' ||
    !Number.isFinite(reference.cost) ||
    !Number.isFinite(reference.quality)
  ) {
    throw new InvalidArgumentError('reference', reference, 'expected {cost, quality} with finite numbers');
  }
  const front = paretoFront(points); // validates the points
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p.cost > reference.cost || p.quality < reference.quality) {
      throw new InvalidArgumentError(
        'reference',
        reference,
        `expected a point dominated by every point (cost >= ${p.cost}, quality <= ${p.quality} of points[${i}])`,
      );
    }
  }
  let area = 0;
  for (let i = 0; i < front.length; i++) {
    const nextCost = i + 1 < front.length ? front[i + 1].cost : reference.cost;
    area += (nextCost - front[i].cost) * (front[i].quality - reference.quality);
  }
  return area;
}
