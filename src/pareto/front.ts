import { type ParetoPoint, validateParetoPoints } from './types.js';

/** Inputs above this size are first thinned against a pivot front (see `paretoFrontIndices`). */
export const PARETO_PREFILTER_MIN = 64;
/** Size of the strided sample whose front serves as pivots. */
const PIVOT_SAMPLE = 512;

/**
 * Indices of the non-dominated points for (minimise cost, maximise quality), in O(n log n):
 * sort by cost ascending (quality descending within equal cost), then sweep keeping the best
 * quality seen at strictly lower cost (Kung, Luccio, Preparata 1975, the 2-D case).
 *
 * Dominance is the usual strict one: p dominates q when p.cost <= q.cost and p.quality >= q.quality
 * with at least one inequality strict. Hence, deliberately:
 * - equal cost, different quality: only the higher quality is kept;
 * - equal quality, different cost: only the lower cost is kept;
 * - exact duplicates (same cost and quality) do not dominate each other: all copies are kept,
 *   next to each other in input order.
 * The result is ordered by ascending cost (so quality strictly ascends between distinct points).
 *
 * Speed: above PARETO_PREFILTER_MIN points, the front of a strided sample (at most 512 points) is
 * computed first and every point that one of these pivots dominates is dropped (one binary search
 * each, O(n log 512)); only the survivors are sorted. Dropped points are dominated by real points,
 * so the result is the same; on typical clouds almost everything is dropped, and in the worst case
 * (every point on the front) the cost stays O(n log n).
 */
export function paretoFrontIndices(points: readonly ParetoPoint[]): number[] {
  validateParetoPoints('points', points);
  const n = points.length;
  const cost = new Float64Array(n);
  const quality = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cost[i] = points[i].cost;
    quality[i] = points[i].quality;
  }
  return frontOfColumns(cost, quality);
}

/** The non-dominated points (the same objects, payload included), by ascending cost; see `paretoFrontIndices` for ties and duplicates. */
export function paretoFront<T extends ParetoPoint>(points: readonly T[]): T[] {
  return paretoFrontIndices(points).map((i) => points[i]);
}

/** Front of the columns restricted to `candidates`, by ascending cost. */
function sortAndSweep(cost: Float64Array, quality: Float64Array, candidates: Uint32Array): number[] {
  const order = candidates.slice().sort((a, b) => cost[a] - cost[b] || quality[b] - quality[a] || a - b);
  const m = order.length;
  const front: number[] = [];
  // Best quality among points of strictly lower cost than the current cost group.
  let bestQualityBelow = -Infinity;
  let i = 0;
  while (i < m) {
    const groupCost = cost[order[i]];
    const topQuality = quality[order[i]]; // the group's highest quality comes first
    let j = i;
    while (j < m && cost[order[j]] === groupCost) {
      const k = order[j];
      // Kept only if nothing cheaper reaches its quality, and nothing as cheap beats it.
      if (quality[k] === topQuality && topQuality > bestQualityBelow) front.push(k);
      j++;
    }
    if (topQuality > bestQualityBelow) bestQualityBelow = topQuality;
    i = j;
  }
  return front;
}

/** Indices of the points that the pivot front (sorted by ascending cost) does not dominate. */
function survivorsOfPivots(cost: Float64Array, quality: Float64Array, pivots: number[]): Uint32Array {
  const k = pivots.length;
  const pivotCost = new Float64Array(k);
  const pivotQuality = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    pivotCost[t] = cost[pivots[t]];
    pivotQuality[t] = quality[pivots[t]];
  }
  const keep = new Uint32Array(cost.length);
  let m = 0;
  for (let i = 0; i < cost.length; i++) {
    const c = cost[i];
    // Last pivot with cost <= c: the best quality any pivot at most as expensive reaches.
    let lo = 0;
    let hi = k;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pivotCost[mid] <= c) lo = mid + 1;
      else hi = mid;
    }
    const t = lo - 1;
    const dominated = t >= 0 && (pivotQuality[t] > quality[i] || (pivotQuality[t] === quality[i] && pivotCost[t] < c));
    if (!dominated) keep[m++] = i;
  }
  return keep.subarray(0, m);
}

/** The front of validated columns. */
function frontOfColumns(cost: Float64Array, quality: Float64Array): number[] {
  const n = cost.length;
  if (n <= PARETO_PREFILTER_MIN) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return sortAndSweep(cost, quality, all);
  }
  const stride = Math.max(1, Math.floor(n / PIVOT_SAMPLE));
  const sample = new Uint32Array(Math.ceil(n / stride));
  for (let s = 0; s < sample.length; s++) sample[s] = s * stride;
  const pivots = sortAndSweep(cost, quality, sample);
  return sortAndSweep(cost, quality, survivorsOfPivots(cost, quality, pivots));
}
