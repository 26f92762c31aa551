import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { mmdSquaredRbf } from '../../src/toy/mmd.js';
import { slicedWasserstein2, slicedWasserstein2To, wasserstein2Empirical1d } from '../../src/toy/wasserstein.js';

const isErr = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
const gaussian = (n: number, mean: number[], sd: number, seed: number) => {
  const z = new Rng(seed).normal(n * mean.length);
  return z.map((v, i) => mean[i % mean.length] + sd * v);
};

describe('wasserstein2Empirical1d', () => {
  test('worked by hand: shifted samples, unequal sizes, order-free and symmetric', () => {
    assert.equal(wasserstein2Empirical1d([0, 1, 2], [3, 1, 2]), 1);
    // quantiles: u in (0, 1/2] -> 0 vs 0, u in (1/2, 1] -> 0 vs 2: W2^2 = 1/2 * 4
    assert.ok(Math.abs(wasserstein2Empirical1d([0], [0, 2]) - Math.SQRT2) < 1e-15);
    // n = 2, m = 3: breakpoints 1/3, 1/2, 2/3; (0 vs 0) 1/3, (0 vs 3) 1/6, (6 vs 3) 1/6, (6 vs 6) 1/3 -> W2^2 = 9/6 + 9/6 = 3
    assert.ok(Math.abs(wasserstein2Empirical1d([6, 0], [0, 3, 6]) - Math.sqrt(3)) < 1e-12);
    assert.equal(wasserstein2Empirical1d([0, 3, 6], [6, 0]), wasserstein2Empirical1d([6, 0], [0, 3, 6]));
    assert.equal(wasserstein2Empirical1d([5, -1, 2], [2, 5, -1]), 0);
  });

  test('between two 1-D Gaussians approaches sqrt((m1 - m2)^2 + (s1 - s2)^2) (closed form; 20k samples each, tolerance 0.03)', () => {
    // sampling error of the empirical W2 here is about 0.01 (a few 1/sqrt(n) units); 0.03 is 3x that
    for (const [m1, s1, m2, s2] of [
      [0, 1, 1, 2],
      [0.5, 0.3, -0.5, 0.3],
      [2, 1, 2, 0.25],
    ]) {
      const a = gaussian(20000, [m1], s1, 1);
      const b = gaussian(20000, [m2], s2, 2);
      const exact = Math.hypot(m1 - m2, s1 - s2);
      const got = wasserstein2Empirical1d(a, b);
      assert.ok(Math.abs(got - exact) < 0.03, `N(${m1},${s1}^2) vs N(${m2},${s2}^2): ${got} vs ${exact}`);
    }
  });

  test('rejects empty samples and non-finite values', () => {
    assert.throws(() => wasserstein2Empirical1d([], [1]), isErr('a'));
    assert.throws(() => wasserstein2Empirical1d([1], [NaN]), isErr('b[0]'));
  });
});

describe('slicedWasserstein2', () => {
  test('between isotropic 2-D Gaussians approaches sqrt(|m1 - m2|^2 / d + (s1 - s2)^2) (closed form; 4000 samples, 128 directions, tolerance 0.05)', () => {
    // theta.X ~ N(theta.m1, s1^2) and E_theta (theta.dm)^2 = |dm|^2 / d for theta uniform on the sphere.
    // Over 10 seeds of this set-up the error stayed within 0.03 (sampling error ~ 1/sqrt(n) units).
    for (const [m1, s1, m2, s2] of [
      [[0, 0], 1, [1, 1], 1],
      [[0, 0], 0.5, [0, 0], 1.5],
      [[1, -1], 1, [-1, 0], 0.5],
    ] as const) {
      const a = gaussian(4000, [...m1], s1, 3);
      const b = gaussian(4000, [...m2], s2, 4);
      const exact = Math.sqrt(((m1[0] - m2[0]) ** 2 + (m1[1] - m2[1]) ** 2) / 2 + (s1 - s2) ** 2);
      const got = slicedWasserstein2(a, b, 2, { projections: 128, seed: 5 });
      assert.ok(Math.abs(got - exact) < 0.05, `${got} vs ${exact}`);
    }
  });

  test('is exact W2 in 1-D, zero for identical sets, and reproducible for a seed', () => {
    const a = gaussian(500, [0], 1, 6);
    const b = gaussian(500, [1], 1, 7);
    assert.equal(slicedWasserstein2(a, b, 1), wasserstein2Empirical1d(a, b));
    const x = gaussian(300, [0, 0, 0], 1, 8);
    const y = gaussian(300, [0.5, 0, 0], 1, 9);
    assert.equal(slicedWasserstein2(x, x, 3), 0);
    assert.equal(slicedWasserstein2(x, y, 3, { seed: 2 }), slicedWasserstein2(x, y, 3, { seed: 2 }));
    assert.notEqual(slicedWasserstein2(x, y, 3, { seed: 2 }), slicedWasserstein2(x, y, 3, { seed: 3 }));
  });

  test('rejects a length that is not a multiple of dim and a bad projection count', () => {
    assert.throws(() => slicedWasserstein2(new Float32Array(3), new Float32Array(4), 2), isErr('x.length'));
    assert.throws(
      () => slicedWasserstein2(new Float32Array(4), new Float32Array(4), 2, { projections: 0 }),
      isErr('projections'),
    );
    assert.throws(() => slicedWasserstein2(new Float32Array(4), new Float32Array(4), 0), isErr('dim'));
  });
});

describe('slicedWasserstein2To', () => {
  test('gives slicedWasserstein2 against its reference, bit for bit, in 1, 2 and 3 dimensions and for other sizes', () => {
    for (const dim of [1, 2, 3]) {
      const ref = gaussian(700, Array(dim).fill(0), 1, 11);
      const to = slicedWasserstein2To(ref, dim, { projections: 17, seed: 4 });
      for (const [n, seed] of [
        [700, 12],
        [300, 13],
      ]) {
        const x = gaussian(n, Array(dim).fill(0.3), 0.8, seed);
        assert.equal(to(x), slicedWasserstein2(x, ref, dim, { projections: 17, seed: 4 }), `dim ${dim}, n ${n}`);
      }
    }
  });
  test('rejects a bad reference and a bad sample, naming them', () => {
    assert.throws(() => slicedWasserstein2To(new Float32Array(3), 2), isErr('reference.length'));
    assert.throws(() => slicedWasserstein2To(new Float32Array(4), 2)(new Float32Array(3)), isErr('x.length'));
  });
});

describe('mmdSquaredRbf', () => {
  // For k(x, y) = exp(-|x - y|^2 / (2 l^2)) and X ~ N(m1, s1^2 I_d), Y ~ N(m2, s2^2 I_d) independent:
  // E k(X, Y) = (l^2 / (l^2 + s1^2 + s2^2))^(d/2) exp(-|m1 - m2|^2 / (2 (l^2 + s1^2 + s2^2)))  (Gaussian integral).
  const ek = (l: number, s1: number, s2: number, dm2: number, d: number) =>
    ((l * l) / (l * l + s1 * s1 + s2 * s2)) ** (d / 2) * Math.exp(-dm2 / (2 * (l * l + s1 * s1 + s2 * s2)));
  const exactMmd2 = (l: number, s1: number, s2: number, dm2: number, d: number) =>
    ek(l, s1, s1, 0, d) + ek(l, s2, s2, 0, d) - 2 * ek(l, s1, s2, dm2, d);

  test('matches the closed-form MMD^2 between Gaussians (1-D and 2-D; 1500 samples each, tolerance 0.01)', () => {
    // the unbiased estimator's standard deviation here is below 0.003
    for (const [d, m2, s1, s2, l] of [
      [1, [1], 1, 1, 1],
      [1, [0], 1, 2, 0.7],
      [2, [0.5, 0.5], 0.5, 0.5, 0.5],
      [2, [0, 0], 0.3, 0.6, 0.4],
    ] as const) {
      const a = gaussian(1500, new Array(d).fill(0), s1, 10);
      const b = gaussian(1500, [...m2], s2, 11);
      let dm2 = 0;
      for (const v of m2) dm2 += v * v;
      const exact = exactMmd2(l, s1, s2, dm2, d);
      const got = mmdSquaredRbf(a, b, d, { bandwidth: l });
      assert.ok(Math.abs(got - exact) < 0.01, `d ${d}: ${got} vs ${exact}`);
    }
  });

  test('is near zero for two samples of one distribution, and far from zero otherwise (median-heuristic bandwidth)', () => {
    const a = gaussian(800, [0, 0], 1, 12);
    const b = gaussian(800, [0, 0], 1, 13);
    const c = gaussian(800, [1, 0], 1, 14);
    assert.ok(Math.abs(mmdSquaredRbf(a, b, 2)) < 0.01);
    assert.ok(mmdSquaredRbf(a, c, 2) > 0.05);
  });

  test('rejects fewer than two points, a bad bandwidth, and mismatched lengths', () => {
    assert.throws(() => mmdSquaredRbf([1, 2], [1, 2, 3, 4], 2), isErr('x.length'));
    assert.throws(() => mmdSquaredRbf([1, 2, 3], [1, 2], 1, { bandwidth: 0 }), isErr('bandwidth'));
    assert.throws(() => mmdSquaredRbf([1, 2, 3], [1, 2, 3], 2), isErr('x.length'));
  });
});
