import { InvalidArgumentError } from '../core/errors.js';

/** A point in the speed/quality plane: `cost` is minimised (e.g. seconds, steps), `quality` maximised (e.g. CLIP score). Extra keys ride along. */
export interface ParetoPoint {
  cost: number;
  quality: number;
}

/** Throws InvalidArgumentError unless `points` is an array whose every cost and quality is a finite number. */
export function validateParetoPoints(field: string, points: readonly ParetoPoint[]): void {
  if (!Array.isArray(points)) {
    throw new InvalidArgumentError(field, typeof points, 'expected an array of {cost, quality} points');
  }
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p === null || typeof p !== 'object') {
      throw new InvalidArgumentError(`${field}[${i}]`, p, 'expected a {cost, quality} object');
    }
    if (typeof p.cost !== 'number' || !Number.isFinite(p.cost)) {
      throw new InvalidArgumentError(`${field}[${i}].cost`, p.cost, 'expected a finite number');
    }
    if (typeof p.quality !== 'number' || !Number.isFinite(p.quality)) {
      throw new InvalidArgumentError(`${field}[${i}].quality`, p.quality, 'expected a finite number');
    }
  }
}
