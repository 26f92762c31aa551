import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { hypervolume2d } from '../../src/pareto/hypervolume.js';

describe('hypervolume2d(points, reference)', () => {
  const front = [
    { cost: 1, quality: 3 },
    { cost: 2, quality: 5 },
    { cost: 4, quality: 6 },
  ];
  const ref = { cost: 5, quality: 0 };

  test('a worked staircase: (2-1)*3 + (4-2)*5 + (5-4)*6 = 19', () => {
    assert.equal(hypervolume2d(front, ref), 19);
  });

  test('input order does not matter and dominated points add nothing', () => {
    const shuffled = [front[2], { cost: 3, quality: 4 }, front[0], { cost: 4.5, quality: 1 }, front[1]];
    assert.equal(hypervolume2d(shuffled, ref), 19);
  });

  test('a single point spans the rectangle to the reference: (5-1)*(3-(-1)) = 16', () => {
    assert.equal(hypervolume2d([{ cost: 1, quality: 3 }], { cost: 5, quality: -1 }), 16);
  });

  test('a point on the reference boundary contributes zero area', () => {
    assert.equal(
      hypervolume2d(
        [
          { cost: 5, quality: 7 },
          { cost: 1, quality: 0 },
        ],
        ref,
      ),
      0,
    );
  });

  test('an empty set has hypervolume 0', () => {
    assert.equal(hypervolume2d([], ref), 0);
  });

  test('a reference that some point does not dominate throws InvalidArgumentError naming reference', () => {
    assert.throws(
      () => hypervolume2d(front, { cost: 3, quality: 0 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'reference',
    );
    assert.throws(
      () => hypervolume2d(front, { cost: 5, quality: 4 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'reference',
    );
    assert.throws(
      () => hypervolume2d(front, { cost: Number.NaN, quality: 0 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'reference',
    );
  });

  test('a NaN cost among the points throws InvalidArgumentError naming it', () => {
    assert.throws(
      () => hypervolume2d([{ cost: Number.NaN, quality: 1 }], ref),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'points[0].cost',
    );
  });
});
