/** Index helpers. */
import { requireInteger } from './errors.js';

/** `k` indices spread evenly over 0..n-1 (round(i (n-1) / (k-1))), always the first and the last; all n when k >= n. */
export function evenlySpacedIndices(n: number, k: number): number[] {
  requireInteger('n', n, 1);
  requireInteger('k', k, 1);
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [n - 1];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}
