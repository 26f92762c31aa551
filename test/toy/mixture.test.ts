import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { GaussianMixture, exampleMixture1d, exampleMixture2d } from '../../src/toy/mixture.js';

describe('GaussianMixture', () => {
  test('normalises weights and expands isotropic variances to every axis', () => {
    const m = new GaussianMixture({
      weights: [1, 3],
      means: [
        [0, 1],
        [2, 3],
      ],
      variances: [0.5, [0.1, 0.2]],
    });
    assert.equal(m.dim, 2);
    assert.equal(m.numComponents, 2);
    assert.deepEqual(Array.from(m.weights), [0.25, 0.75]);
    assert.deepEqual(Array.from(m.variances), [0.5, 0.5, 0.1, 0.2]);
    assert.deepEqual(Array.from(m.means), [0, 1, 2, 3]);
  });

  test('rejects bad specs with an InvalidArgumentError naming the field', () => {
    const ok = { weights: [1, 1], means: [[0], [1]], variances: [1, 1] };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ok, weights: [] }, 'weights'],
      [{ ...ok, weights: [1, -1] }, 'weights[1]'],
      [{ ...ok, weights: [1, NaN] }, 'weights[1]'],
      [{ ...ok, means: [[0]] }, 'means'],
      [{ ...ok, means: [[0], [1, 2]] }, 'means[1]'],
      [{ ...ok, means: [[0], [Infinity]] }, 'means[1][0]'],
      [{ ...ok, variances: [1] }, 'variances'],
      [{ ...ok, variances: [1, 0] }, 'variances[1]'],
      [{ ...ok, variances: [1, [1, 2]] }, 'variances[1]'],
      [{ weights: [1], means: [[0, 0]], variances: [[1, -2]] }, 'variances[0][1]'],
    ];
    for (const [spec, field] of cases) {
      assert.throws(
        () => new GaussianMixture(spec as never),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        field,
      );
    }
  });

  test('sample(n, rng) is n x d point-major, reproducible for a seed, and has the analytic mean and variance', () => {
    const m = exampleMixture2d();
    const n = 40000;
    const x = m.sample(n, new Rng(11));
    assert.equal(x.length, n * 2);
    assert.deepEqual(m.sample(5, new Rng(3)), m.sample(5, new Rng(3)));
    // Analytic moments, derived here from the spec (not from the class's helpers).
    const w = [0.35, 0.3, 0.2, 0.15];
    const mu = [
      [-0.5, -0.45],
      [0.5, 0.5],
      [-0.45, 0.55],
      [0.55, -0.5],
    ];
    const v = [
      [0.01, 0.01],
      [0.0064, 0.0064],
      [0.0225, 0.0025],
      [0.01, 0.01],
    ];
    for (let j = 0; j < 2; j++) {
      const mean = w.reduce((s, wk, k) => s + wk * mu[k][j], 0);
      const variance = w.reduce((s, wk, k) => s + wk * (v[k][j] + mu[k][j] ** 2), 0) - mean ** 2;
      let sm = 0;
      let sv = 0;
      for (let i = 0; i < n; i++) sm += x[i * 2 + j];
      sm /= n;
      for (let i = 0; i < n; i++) sv += (x[i * 2 + j] - sm) ** 2;
      sv /= n - 1;
      // 4 standard errors: SE(mean) = sqrt(var / n); SE(var) <= var * sqrt(2 / n) * 1.5 (bimodal kurtosis < 3.5)
      assert.ok(Math.abs(sm - mean) < 4 * Math.sqrt(variance / n), `axis ${j} mean ${sm} vs ${mean}`);
      assert.ok(
        Math.abs(sv - variance) < 4 * 1.5 * variance * Math.sqrt(2 / n),
        `axis ${j} variance ${sv} vs ${variance}`,
      );
      assert.ok(Math.abs(m.mean()[j] - mean) < 1e-12);
      assert.ok(Math.abs(m.axisVariance()[j] - variance) < 1e-12);
    }
  });

  test('sample picks components in proportion to the weights', () => {
    const m = new GaussianMixture({ weights: [0.7, 0.2, 0.1], means: [[-10], [0], [10]], variances: [1, 1, 1] });
    const n = 20000;
    const x = m.sample(n, new Rng(5));
    const counts = [0, 0, 0];
    for (const v of x) counts[v < -5 ? 0 : v > 5 ? 2 : 1]++;
    [0.7, 0.2, 0.1].forEach((p, k) => {
      assert.ok(Math.abs(counts[k] / n - p) < 4 * Math.sqrt((p * (1 - p)) / n), `component ${k}: ${counts[k] / n}`);
    });
  });

  test('logDensity of one Gaussian is the closed-form normal log-density, at sigma = 0 and convolved with noise', () => {
    const m = new GaussianMixture({ weights: [1], means: [[0.3, -1]], variances: [[0.25, 4]] });
    const x = new Float64Array([0.3, -1, 1.3, 1]);
    const logN = (v: number, mu: number, s2: number) => -0.5 * Math.log(2 * Math.PI * s2) - (v - mu) ** 2 / (2 * s2);
    const expected0 = [logN(0.3, 0.3, 0.25) + logN(-1, -1, 4), logN(1.3, 0.3, 0.25) + logN(1, -1, 4)];
    const expected1 = [logN(0.3, 0.3, 1.25) + logN(-1, -1, 5), logN(1.3, 0.3, 1.25) + logN(1, -1, 5)];
    const got0 = m.logDensity(x);
    const got1 = m.logDensity(x, 1);
    for (let i = 0; i < 2; i++) {
      assert.ok(Math.abs(got0[i] - expected0[i]) < 1e-12);
      assert.ok(Math.abs(got1[i] - expected1[i]) < 1e-12);
    }
  });

  test('the 1-D and 2-D densities integrate to 1 (midpoint rule), with and without noise', () => {
    const m1 = exampleMixture1d();
    for (const sigma of [0, 0.5]) {
      const h = 0.001;
      const grid = new Float64Array(8000).map((_, i) => -4 + (i + 0.5) * h);
      const total = m1.logDensity(grid, sigma).reduce((s, l) => s + Math.exp(l) * h, 0);
      assert.ok(Math.abs(total - 1) < 1e-6, `1-D sigma ${sigma}: ${total}`);
    }
    const m2 = exampleMixture2d();
    const h = 0.01;
    const side = 400;
    const grid = new Float64Array(side * side * 2);
    for (let a = 0; a < side; a++)
      for (let b = 0; b < side; b++) {
        grid[(a * side + b) * 2] = -2 + (a + 0.5) * h;
        grid[(a * side + b) * 2 + 1] = -2 + (b + 0.5) * h;
      }
    const total2 = m2.logDensity(grid).reduce((s, l) => s + Math.exp(l) * h * h, 0);
    assert.ok(Math.abs(total2 - 1) < 1e-4, `2-D: ${total2}`);
  });

  test('logDensity rejects a point array whose length is not a multiple of d, and a negative sigma', () => {
    const m = exampleMixture2d();
    assert.throws(
      () => m.logDensity(new Float32Array(3)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'points.length',
    );
    assert.throws(
      () => m.logDensity(new Float32Array(2), -1),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'sigma',
    );
    assert.throws(
      () => m.sample(-1, new Rng(0)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'n',
    );
  });
});
