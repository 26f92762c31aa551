import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { kneePoint } from '../../src/pareto/knee.js';

describe('kneePoint (max distance above the chord of the normalised front)', () => {
  test('worked case: (0,0), (1,8), (10,10) normalise to (0,0), (0.1,0.8), (1,1); knee (1,8) at 0.7/sqrt(2)', () => {
    const points = [
      { cost: 10, quality: 10 },
      { cost: 1, quality: 8 },
      { cost: 0, quality: 0 },
    ];
    const knee = kneePoint(points);
    assert.equal(knee.index, 1);
    assert.equal(knee.point, points[1]);
    assert.ok(Math.abs(knee.distance - 0.7 / Math.SQRT2) < 1e-12);
  });

  test('worked case with unequal axis scales: steps 1..8 vs a score; knee at 2 steps', () => {
    // Normalised cost (s-1)/7, quality (q-0.2)/0.6: 1->(0,0), 2->(1/7,0.75), 4->(3/7,0.9167), 8->(1,1).
    // q'-c': 0, 0.6071, 0.4881, 0 -> the 2-step point.
    const points = [
      { cost: 1, quality: 0.2 },
      { cost: 2, quality: 0.65 },
      { cost: 4, quality: 0.75 },
      { cost: 8, quality: 0.8 },
    ];
    const knee = kneePoint(points);
    assert.equal(knee.point.cost, 2);
    assert.ok(Math.abs(knee.distance - (0.75 - 1 / 7) / Math.SQRT2) < 1e-12);
  });

  test('dominated points are ignored even if they lie far from the chord', () => {
    const knee = kneePoint([
      { cost: 0, quality: 0 },
      { cost: 5, quality: 5 },
      { cost: 10, quality: 10 },
      { cost: 6, quality: 1 }, // dominated by (5, 5)
    ]);
    assert.equal(knee.point.cost, 0); // a straight front: every distance is 0, ties go to the lower cost
    assert.equal(knee.distance, 0);
  });

  test('one point is its own knee at distance 0', () => {
    const knee = kneePoint([{ cost: 3, quality: 1 }]);
    assert.equal(knee.index, 0);
    assert.equal(knee.distance, 0);
  });

  test('an empty set throws InvalidArgumentError naming points', () => {
    assert.throws(
      () => kneePoint([]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'points',
    );
  });

  test('a NaN quality throws InvalidArgumentError naming it', () => {
    assert.throws(
      () => kneePoint([{ cost: 1, quality: Number.NaN }]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'points[0].quality',
    );
  });
});
