import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { dominates, type ObjectiveSense } from '../../src/pareto/dominance.js';

describe('dominates(a, b, senses)', () => {
  const s3: ObjectiveSense[] = ['min', 'max', 'min'];

  test('is true when a is no worse everywhere and strictly better somewhere', () => {
    assert.equal(dominates([1, 5, 2], [1, 4, 2], s3), true);
    assert.equal(dominates([0, 5, 1], [1, 4, 2], s3), true);
  });

  test('is false for equal vectors (no point dominates itself)', () => {
    assert.equal(dominates([1, 5, 2], [1, 5, 2], s3), false);
  });

  test('is false when a is worse in any objective, even if better in the others', () => {
    assert.equal(dominates([0, 9, 3], [1, 4, 2], s3), false);
  });

  test('respects the sense of each objective', () => {
    assert.equal(dominates([2], [1], ['max']), true);
    assert.equal(dominates([2], [1], ['min']), false);
    assert.equal(dominates(new Float64Array([1, 1]), new Float64Array([2, 2]), ['min', 'min']), true);
  });

  test('mismatched lengths throw InvalidArgumentError naming the argument', () => {
    assert.throws(
      () => dominates([1, 2], [1, 2, 3], s3),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.length',
    );
    assert.throws(
      () => dominates([1, 2, 3], [1, 2], s3),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b.length',
    );
  });

  test('an unknown sense, empty senses or a NaN value throw InvalidArgumentError', () => {
    assert.throws(
      () => dominates([1], [2], ['minimize' as ObjectiveSense]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'senses[0]',
    );
    assert.throws(
      () => dominates([], [], []),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'senses',
    );
    assert.throws(
      () => dominates([Number.NaN], [2], ['min']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a[0]',
    );
  });
});
