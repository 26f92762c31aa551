import { InvalidArgumentError, requireFinite } from '../core/errors.js';

/** Checks two same-length, non-empty arrays of finite numbers (an image and its reference). */
export function checkImagePair(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number')
    throw new InvalidArgumentError('a', a, 'expected an array of pixel values');
  if (b === null || typeof b !== 'object' || typeof b.length !== 'number')
    throw new InvalidArgumentError('b', b, 'expected an array of pixel values');
  if (a.length === 0) throw new InvalidArgumentError('a.length', 0, 'expected at least one value');
  if (b.length !== a.length)
    throw new InvalidArgumentError('b.length', b.length, `expected ${a.length} (the length of a)`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InvalidArgumentError(`a[${i}]`, a[i], 'expected a finite number');
    if (!Number.isFinite(b[i])) throw new InvalidArgumentError(`b[${i}]`, b[i], 'expected a finite number');
  }
}

/** Mean squared error between two same-length arrays. */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkImagePair(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return sum / a.length;
}

/**
 * Peak signal-to-noise ratio in dB: 10 log10(dataRange^2 / MSE), with dataRange the span of valid
 * pixel values (1 for [0, 1] images, 2 for [-1, 1], 255 for bytes). Identical inputs give +Infinity.
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, options: { dataRange: number }): number {
  const dataRange = requireFinite('dataRange', options?.dataRange, Number.MIN_VALUE);
  const mse = meanSquaredError(a, b);
  if (mse === 0) return Infinity;
  return 10 * Math.log10((dataRange * dataRange) / mse);
}
