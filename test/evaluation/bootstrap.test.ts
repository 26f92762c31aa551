import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import {
  scaleInterval,
  bootstrapFrechet,
  bootstrapMean,
  compareIntervals,
  intervalsOverlap,
  quantileSorted,
} from '../../src/evaluation/bootstrap.js';
import { symmetricEigenvalues } from '../../src/evaluation/eigenvalues.js';
import { qualityProblems, timeProblems } from '../../src/evaluation/result.js';

/** Q diag(l) Q^T with Q a product of Givens rotations (eigenvalues known by construction). */
function rotated(l: number[], seed: number): Float64Array {
  const n = l.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = l[i];
  if (n === 1) return a;
  const rng = new Rng(seed);
  for (let r = 0; r < 3 * n; r++) {
    const p = Math.floor(rng.uniform1() * n);
    const q = (p + 1 + Math.floor(rng.uniform1() * (n - 1))) % n;
    const th = 2 * Math.PI * rng.uniform1();
    const c = Math.cos(th);
    const s = Math.sin(th);
    // A <- G A G^T on rows/cols p, q
    for (let k = 0; k < n; k++) {
      const x = a[p * n + k];
      const y = a[q * n + k];
      a[p * n + k] = c * x - s * y;
      a[q * n + k] = s * x + c * y;
    }
    for (let k = 0; k < n; k++) {
      const x = a[k * n + p];
      const y = a[k * n + q];
      a[k * n + p] = c * x - s * y;
      a[k * n + q] = s * x + c * y;
    }
  }
  return a;
}

describe('symmetricEigenvalues', () => {
  test('finds the eigenvalues of a rotated diagonal matrix', () => {
    for (const [n, seed] of [
      [1, 1],
      [2, 2],
      [7, 3],
      [40, 4],
    ]) {
      const l = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1) * (i + 1) * 0.37);
      const got = Array.from(symmetricEigenvalues(rotated(l, seed), n));
      const want = [...l].sort((a, b) => a - b);
      got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-9, `n=${n} eigenvalue ${i}: ${g} vs ${want[i]}`));
    }
  });

  test('repeated eigenvalues and a zero matrix', () => {
    assert.deepEqual(
      Array.from(symmetricEigenvalues(rotated([2, 2, 2, 5], 9), 4)).map((v) => Math.round(v * 1e9) / 1e9),
      [2, 2, 2, 5],
    );
    assert.deepEqual(Array.from(symmetricEigenvalues(new Float64Array(9), 3)), [0, 0, 0]);
  });
});

describe('bootstrap intervals', () => {
  test('quantiles interpolate like numpy (type 7)', () => {
    // numpy.quantile([1, 2, 3, 4], 0.25) = 1.75
    assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
    assert.equal(quantileSorted([5], 0.9), 5);
  });

  test('the 95% interval of a mean covers the true mean of Bernoulli(0.3) data about 95% of the time', () => {
    const data = new Rng(11);
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const x = Array.from({ length: 100 }, () => (data.uniform1() < 0.3 ? 1 : 0));
      const i = bootstrapMean(x, { reps: 500, seed: t });
      if (i.low <= 0.3 && 0.3 <= i.high) covered++;
    }
    // binomial(300, 0.95): sd 3.8 cases; the percentile bootstrap under-covers slightly at n = 100
    assert.ok(covered / trials >= 0.9 && covered / trials <= 0.99, `coverage ${covered / trials}`);
  });

  test('the 95% interval of the Frechet distance covers the known distance of two Gaussians about 95% of the time', () => {
    // generated ~ N(mu, diag(s)), reference ~ N(0, [[1, c], [c, 1]]), both sampled anew per trial.
    // FD = |mu|^2 + tr S_r + tr S_g - 2 tr (S_r S_g)^1/2, and for 2x2 matrices
    // tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)), M = S_r S_g (eigenvalues of S_r^1/2 S_g S_r^1/2).
    const rng = new Rng(5);
    const mu = [1.0, -0.5];
    const s = [2.0, 0.5];
    const c = 0.6;
    const trM = s[0] + s[1];
    const detM = (1 - c * c) * s[0] * s[1];
    const truth = mu[0] ** 2 + mu[1] ** 2 + 2 + s[0] + s[1] - 2 * Math.sqrt(trM + 2 * Math.sqrt(detM));
    let covered = 0;
    const trials = 200;
    const n = 400;
    for (let t = 0; t < trials; t++) {
      const g = new Float64Array(n * 2);
      const r = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) {
        g[2 * i] = mu[0] + Math.sqrt(s[0]) * rng.normal1();
        g[2 * i + 1] = mu[1] + Math.sqrt(s[1]) * rng.normal1();
        r[2 * i] = rng.normal1();
        r[2 * i + 1] = c * r[2 * i] + Math.sqrt(1 - c * c) * rng.normal1();
      }
      const i = bootstrapFrechet(g, r, 2, { reps: 100, seed: t });
      assert.ok(i.low <= i.value && i.value <= i.high, 'the estimate lies in its interval');
      if (i.low <= truth && truth <= i.high) covered++;
    }
    assert.ok(covered / trials >= 0.88 && covered / trials <= 0.99, `coverage ${covered / trials} of FD ${truth}`);
  });

  test('the same seed gives the same interval; the Frechet interval never goes below 0', () => {
    const rng = new Rng(3);
    const g = rng.normal(200 * 3);
    const r = rng.normal(200 * 3);
    assert.deepEqual(bootstrapFrechet(g, r, 3, { seed: 4 }), bootstrapFrechet(g, r, 3, { seed: 4 }));
    assert.ok(bootstrapFrechet(g, r, 3, { seed: 4 }).low >= 0);
  });

  test('overlapping intervals are within noise; disjoint ones name the better side', () => {
    const a = { value: 10, low: 9, high: 11, level: 0.95 };
    const b = { value: 11.5, low: 10.5, high: 12.5, level: 0.95 };
    const c = { value: 20, low: 18, high: 22, level: 0.95 };
    assert.equal(intervalsOverlap(a, b), true);
    assert.equal(compareIntervals(a, b, 'lower').verdict, 'within noise');
    assert.match(compareIntervals(a, b, 'lower', { a: 'LCM 4', b: 'PD 4', metric: 'FD' }).text, /within noise/);
    assert.equal(compareIntervals(a, c, 'lower').verdict, 'first better');
    assert.equal(compareIntervals(a, c, 'higher').verdict, 'second better');
  });
});

describe('result schema', () => {
  const fd = { value: 12, low: 11, high: 13, level: 0.95 };
  test('a valid quality passes; a negative or missing Frechet distance does not', () => {
    assert.deepEqual(
      qualityProblems({
        images: 10,
        frechet: fd,
        adherence: { value: 0.8, low: 0.7, high: 0.9, level: 0.95 },
        allCorrect: 0.5,
      }),
      [],
    );
    assert.ok(qualityProblems({ images: 10, frechet: { ...fd, value: -1, low: -2 } }).length > 0);
    assert.ok(qualityProblems({ images: 10, frechet: { ...fd, value: null } }).length > 0);
    assert.ok(qualityProblems({ images: 10, frechet: 12 }).length > 0);
    assert.ok(qualityProblems({ images: 10, adherence: { value: 1.2, low: 1.1, high: 1.3, level: 0.95 } }).length > 0);
    assert.ok(qualityProblems({ images: 0, frechet: fd }).length > 0);
  });
  test('times need ordered quartiles and a positive count', () => {
    assert.deepEqual(timeProblems({ medianMs: 5, q1Ms: 4, q3Ms: 7, iqrMs: 3, n: 9 }), []);
    assert.ok(timeProblems({ medianMs: 5, q1Ms: 6, q3Ms: 7, iqrMs: 1, n: 9 }).length > 0);
    assert.ok(timeProblems({ medianMs: -5, q1Ms: -6, q3Ms: -4, iqrMs: 2, n: 9 }).length > 0);
    assert.ok(timeProblems({ medianMs: 5, q1Ms: 4, q3Ms: 7, iqrMs: 3, n: 0 }).length > 0);
  });
});

describe('scaleInterval', () => {
  test('scales value and both ends; refuses a factor that is not positive', () => {
    const i = scaleInterval({ value: 0.5, low: 0.25, high: 0.75, level: 0.95 }, 100);
    assert.deepEqual(i, { value: 50, low: 25, high: 75, level: 0.95 });
    assert.throws(() => scaleInterval(i, 0), /k/);
    assert.throws(() => scaleInterval(i, Number.NaN), /k/);
  });
});
