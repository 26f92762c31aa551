import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { diminishingReturns } from '../../src/pareto/diminishingReturns.js';

const throwsField = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    `expected InvalidArgumentError naming ${field}`,
  );

describe('diminishingReturns', () => {
  test('picks the fewest steps within the tolerance of the best, for lower-is-better and higher-is-better curves', () => {
    // FD: best 10 at 25 steps; within 10% means <= 11: 8 steps (10.8) is the first.
    const fd = diminishingReturns([1, 2, 4, 8, 15, 25], [120, 40, 15, 10.8, 10.3, 10], { better: 'lower' });
    assert.equal(fd.steps, 8);
    assert.equal(fd.bestSteps, 25);
    assert.match(fd.rule, /within 10% of the best/);
    // SSIM: best 0.9 at 15; within 5% means >= 0.855: 4 steps (0.86).
    assert.equal(
      diminishingReturns([15, 1, 4, 2], [0.9, 0.2, 0.86, 0.5], { better: 'higher', tolerance: 0.05 }).steps,
      4,
    );
    // Ties on the best go to the fewest steps; tolerance 0 then returns the best itself.
    assert.equal(diminishingReturns([1, 2, 4], [3, 1, 1], { better: 'lower', tolerance: 0 }).steps, 2);
  });

  test('bad inputs are refused', () => {
    throwsField(() => diminishingReturns([], [], { better: 'lower' }), 'steps');
    throwsField(() => diminishingReturns([1, 2], [1], { better: 'lower' }), 'values.length');
    throwsField(() => diminishingReturns([1, 2], [1, NaN], { better: 'lower' }), 'values[1]');
    throwsField(() => diminishingReturns([0, 2], [1, 2], { better: 'lower' }), 'steps[0]');
    throwsField(() => diminishingReturns([1], [1], { better: 'up' as 'lower' }), 'better');
    throwsField(() => diminishingReturns([1], [1], { better: 'lower', tolerance: 2 }), 'tolerance');
  });
});
