import { type ParetoPoint, validateParetoPoints } from './types.js';

/**
 * Reference oracle, O(n^2), for tests and benchmarks only: keeps each point that no other point
 * dominates, checking every pair straight from the definition (p dominates q when p.cost <= q.cost,
 * p.quality >= q.quality, and one of them is strict). Use `paretoFront` in real code.
 * Returns indices in input order.
 */
export function paretoFrontNaiveIndices(points: readonly ParetoPoint[]): number[] {
  validateParetoPoints('points', points);
  const out: number[] = [];
  for (let q = 0; q < points.length; q++) {
    let dominated = false;
    for (let p = 0; p < points.length && !dominated; p++) {
      const a = points[p];
      const b = points[q];
      dominated = a.cost <= b.cost && a.quality >= b.quality && (a.cost < b.cost || a.quality > b.quality);
    }
    if (!dominated) out.push(q);
  }
  return out;
}

/** Reference oracle, O(n^2), for tests and benchmarks only: the non-dominated points in input order. */
export function paretoFrontNaive<T extends ParetoPoint>(points: readonly T[]): T[] {
  return paretoFrontNaiveIndices(points).map((i) => points[i]);
}
