import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { paretoFront, paretoFrontIndices } from '../../src/pareto/front.js';
import { paretoFrontNaiveIndices } from '../../src/pareto/naive.js';
import type { ParetoPoint } from '../../src/pareto/types.js';

const pts = (...xs: [number, number][]): ParetoPoint[] => xs.map(([cost, quality]) => ({ cost, quality }));

describe('paretoFront (minimise cost, maximise quality)', () => {
  test('keeps exactly the non-dominated points of a hand-drawn set, by ascending cost', () => {
    // (3,1) is dominated by (1,2); (4,4) by (2,5); the rest form the staircase.
    const points = pts([2, 5], [1, 2], [3, 1], [4, 4], [5, 7], [0.5, 0]);
    assert.deepEqual(paretoFrontIndices(points), [5, 1, 0, 4]);
  });

  test('returns the same objects with their payload', () => {
    const points = [
      { cost: 1, quality: 1, name: 'a' },
      { cost: 2, quality: 0, name: 'b' },
    ];
    const front = paretoFront(points);
    assert.equal(front.length, 1);
    assert.equal(front[0], points[0]);
    assert.equal(front[0].name, 'a');
  });

  test('equal cost: only the highest quality survives', () => {
    assert.deepEqual(paretoFrontIndices(pts([1, 3], [1, 5], [1, 4])), [1]);
  });

  test('equal quality: only the lowest cost survives', () => {
    assert.deepEqual(paretoFrontIndices(pts([3, 2], [1, 2], [2, 2])), [1]);
  });

  test('exact duplicates on the front are all kept, in input order', () => {
    assert.deepEqual(paretoFrontIndices(pts([2, 2], [1, 1], [2, 2], [3, 1])), [1, 0, 2]);
  });

  test('duplicates of a dominated point are all dropped', () => {
    assert.deepEqual(paretoFrontIndices(pts([0, 9], [2, 2], [2, 2])), [0]);
  });

  test('an empty set has an empty front; a single point is its own front', () => {
    assert.deepEqual(paretoFront([]), []);
    assert.deepEqual(paretoFrontIndices(pts([7, -3])), [0]);
  });

  for (const [label, cost, quality, field] of [
    ['NaN cost', Number.NaN, 1, 'points[1].cost'],
    ['infinite quality', 1, Infinity, 'points[1].quality'],
    ['string cost', '1', 1, 'points[1].cost'],
  ] as const) {
    test(`a ${label} throws InvalidArgumentError naming ${field}`, () => {
      const points = [{ cost: 0, quality: 0 }, { cost, quality } as unknown as ParetoPoint];
      assert.throws(
        () => paretoFront(points),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      );
    });
  }

  test('a non-array throws InvalidArgumentError naming points', () => {
    assert.throws(
      () => paretoFront({} as unknown as ParetoPoint[]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'points',
    );
  });
});

describe('paretoFront agrees with the O(n^2) oracle on random sets (seeded)', () => {
  const rng = new Rng(20240611);
  for (let trial = 0; trial < 60; trial++) {
    const n = Math.floor(rng.uniform1() * 300);
    // Every third trial uses a coarse integer grid so ties and duplicates are common.
    const grid = trial % 3 === 0 ? 8 : 0;
    const points: ParetoPoint[] = [];
    for (let i = 0; i < n; i++) {
      const c = rng.uniform1();
      const q = rng.uniform1();
      points.push(
        grid ? { cost: Math.floor(c * grid), quality: Math.floor(q * grid) } : { cost: c, quality: -Math.log(c) * q },
      );
    }
    test(`trial ${trial}: n = ${n}${grid ? ' on an 8x8 grid' : ''}`, () => {
      const fast = paretoFrontIndices(points)
        .slice()
        .sort((a, b) => a - b);
      assert.deepEqual(fast, paretoFrontNaiveIndices(points));
    });
  }
});

describe('paretoFront above the prefilter threshold (pivot thinning) still agrees with the oracle', () => {
  const rng = new Rng(77);
  const cases: [string, () => ParetoPoint[]][] = [
    [
      '3000 points on a 20x20 grid (many duplicates)',
      () =>
        Array.from({ length: 3000 }, () => ({
          cost: Math.floor(rng.uniform1() * 20),
          quality: Math.floor(rng.uniform1() * 20),
        })),
    ],
    [
      '2000 points all on the front, shuffled (nothing can be thinned)',
      () => {
        const pts = Array.from({ length: 2000 }, (_, i) => ({ cost: i, quality: Math.sqrt(i) }));
        for (let i = pts.length - 1; i > 0; i--) {
          const j = Math.floor(rng.uniform1() * (i + 1));
          [pts[i], pts[j]] = [pts[j], pts[i]];
        }
        return pts;
      },
    ],
    [
      '2000 front points each duplicated, plus 2000 dominated ones',
      () => {
        const front = Array.from({ length: 1000 }, (_, i) => ({ cost: i, quality: i }));
        const dominated = Array.from({ length: 2000 }, () => ({
          cost: 1 + rng.uniform1() * 999,
          quality: -1 + rng.uniform1(),
        }));
        return [...dominated, ...front, ...front.map((p) => ({ ...p }))];
      },
    ],
    [
      '5000 continuous points with a heavy tail in quality',
      () => Array.from({ length: 5000 }, () => ({ cost: rng.uniform1(), quality: rng.normal1() / rng.uniform1() })),
    ],
  ];
  for (const [label, make] of cases) {
    test(label, () => {
      const points = make();
      const fast = paretoFrontIndices(points)
        .slice()
        .sort((a, b) => a - b);
      assert.deepEqual(fast, paretoFrontNaiveIndices(points));
    });
  }
});
