import { InvalidArgumentError } from '../core/errors.js';

/** Whether an objective is minimised or maximised. */
export type ObjectiveSense = 'min' | 'max';

/**
 * Pareto dominance for any number of objectives: true when `a` is at least as good as `b` in every
 * objective (<= for 'min', >= for 'max') and strictly better in at least one. Equal vectors do not
 * dominate each other.
 */
export function dominates(a: ArrayLike<number>, b: ArrayLike<number>, senses: readonly ObjectiveSense[]): boolean {
  if (!Array.isArray(senses) || senses.length === 0) {
    throw new InvalidArgumentError('senses', senses, "expected a non-empty array of 'min' | 'max'");
  }
  if (a?.length !== senses.length) {
    throw new InvalidArgumentError(
      'a.length',
      a?.length,
      `expected ${senses.length} (one value per objective in senses)`,
    );
  }
  if (b?.length !== senses.length) {
    throw new InvalidArgumentError(
      'b.length',
      b?.length,
      `expected ${senses.length} (one value per objective in senses)`,
    );
  }
  let strictlyBetter = false;
  for (let k = 0; k < senses.length; k++) {
    const sense = senses[k];
    if (sense !== 'min' && sense !== 'max') {
      throw new InvalidArgumentError(`senses[${k}]`, sense, "expected 'min' or 'max'");
    }
    const x = a[k];
    const y = b[k];
    if (!Number.isFinite(x)) throw new InvalidArgumentError(`a[${k}]`, x, 'expected a finite number');
    if (!Number.isFinite(y)) throw new InvalidArgumentError(`b[${k}]`, y, 'expected a finite number');
    const better = sense === 'min' ? x < y : x > y;
    const worse = sense === 'min' ? x > y : x < y;
    if (worse) return false;
    if (better) strictlyBetter = true;
  }
  return strictlyBetter;
}
