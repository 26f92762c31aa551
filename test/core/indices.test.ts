import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evenlySpacedIndices } from '../../src/core/indices.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

const isArg = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('evenlySpacedIndices', () => {
  test('spreads k indices over 0..n-1 by round(i (n-1)/(k-1)), keeping the first and the last', () => {
    assert.deepEqual(evenlySpacedIndices(25, 7), [0, 4, 8, 12, 16, 20, 24]); // (25-1)/(7-1) = 4 exactly
    assert.deepEqual(evenlySpacedIndices(11, 4), [0, 3, 7, 10]); // 10/3 = 3.33: 0, 3.33, 6.67, 10
    assert.deepEqual(evenlySpacedIndices(2, 2), [0, 1]);
  });

  test('gives every index when k >= n, and the last one alone when k = 1', () => {
    assert.deepEqual(evenlySpacedIndices(4, 7), [0, 1, 2, 3]);
    assert.deepEqual(evenlySpacedIndices(4, 4), [0, 1, 2, 3]);
    assert.deepEqual(evenlySpacedIndices(5, 1), [4]);
  });

  test('rejects n or k that are not positive integers', () => {
    assert.throws(() => evenlySpacedIndices(0, 3), isArg('n'));
    assert.throws(() => evenlySpacedIndices(5, 0), isArg('k'));
    assert.throws(() => evenlySpacedIndices(5, 2.5), isArg('k'));
  });
});
