/** Input checks shared by the distance functions (internal to the toy module, not re-exported). */
import { InvalidArgumentError } from '../core/errors.js';

/** Throws unless `a` is a non-empty array of finite numbers. */
export function checkSample(field: string, a: ArrayLike<number>): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number' || a.length === 0) {
    throw new InvalidArgumentError(field, a, 'expected a non-empty array of finite numbers');
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InvalidArgumentError(`${field}[${i}]`, a[i], 'expected a finite number');
  }
}

/** Checks a point-major set of n x dim numbers and returns n. */
export function pointsOf(field: string, points: ArrayLike<number>, dim: number): number {
  checkSample(field, points);
  if (points.length % dim !== 0) {
    throw new InvalidArgumentError(
      `${field}.length`,
      points.length,
      `expected a multiple of dim = ${dim} (n points x d, point-major)`,
    );
  }
  return points.length / dim;
}
