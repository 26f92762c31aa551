import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import {
  featureMoments,
  frechetDistance,
  frechetDistanceFromMoments,
  type FeatureMoments,
} from '../../src/metrics/frechet.js';

const moments = (mu: number[], sigma: number[]): FeatureMoments => ({
  dim: mu.length,
  mu: Float64Array.from(mu),
  sigma: Float64Array.from(sigma),
});
const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('frechetDistanceFromMoments: |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2})', () => {
  test('diagonal covariances: |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2 = 9 + 1 + 1 + 0 = 11', () => {
    const a = moments([0, 0, 0], [1, 0, 0, 0, 4, 0, 0, 0, 9]);
    const b = moments([1, 2, 2], [4, 0, 0, 0, 1, 0, 0, 0, 9]);
    close(frechetDistanceFromMoments(a, b), 11);
  });

  test('non-commuting 2x2: Tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)) = sqrt(14), so FD = 8 - 2 sqrt(14)', () => {
    // S1 = [[2,1],[1,2]], S2 = diag(3, 1): tr(S1 S2) = 6 + 2 = 8, det S1 = det S2 = 3.
    const a = moments([0, 0], [2, 1, 1, 2]);
    const b = moments([0, 0], [3, 0, 0, 1]);
    close(frechetDistanceFromMoments(a, b), 8 - 2 * Math.sqrt(14));
    close(frechetDistanceFromMoments(b, a), 8 - 2 * Math.sqrt(14));
  });

  test('a scalar covariance s I against S2 gives tr terms minus 2 sqrt(s) sum sqrt(eig S2): 4I vs [[2,1],[1,2]] -> 12 - 4 (sqrt 3 + 1)', () => {
    close(
      frechetDistanceFromMoments(moments([1, 1], [4, 0, 0, 4]), moments([1, 1], [2, 1, 1, 2])),
      12 - 4 * (Math.sqrt(3) + 1),
    );
  });

  test('mismatched dimensions throw InvalidArgumentError', () => {
    assert.throws(
      () => frechetDistanceFromMoments(moments([0, 0], [1, 0, 0, 1]), moments([0], [1])),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b.dim',
    );
    assert.throws(
      () => frechetDistanceFromMoments(moments([0, 0], [1, 0, 0, Number.NaN]), moments([0, 0], [1, 0, 0, 1])),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.sigma[3]',
    );
  });
});

describe('frechetDistance(featuresA, featuresB, dim) on samples', () => {
  // Rows (+-1, 0), (0, +-1): mean 0, unbiased covariance (2/3) I. B = 2 A + (3, 4): mean (3, 4), covariance (8/3) I.
  const A = [1, 0, -1, 0, 0, 1, 0, -1];
  const B = A.map((v, i) => 2 * v + (i % 2 === 0 ? 3 : 4));

  test('featureMoments gives the hand-computed mean and unbiased covariance', () => {
    const m = featureMoments(B, 2);
    assert.deepEqual(Array.from(m.mu), [3, 4]);
    close(m.sigma[0], 8 / 3);
    close(m.sigma[3], 8 / 3);
    close(m.sigma[1], 0);
  });

  test('worked case: 25 + 2 (sqrt(2/3) - sqrt(8/3))^2 = 25 + 4/3', () => {
    close(frechetDistance(A, B, 2), 25 + 4 / 3);
  });

  test('is ~0 for a set against itself, symmetric, and unchanged by an orthogonal map of both sets (dim 16)', () => {
    const rng = new Rng(3);
    const dim = 16;
    const fa = rng.normal(200 * dim);
    const fb = rng.normal(150 * dim).map((v, i) => 1.5 * v + (i % dim) * 0.1);
    close(frechetDistance(fa, fa, dim), 0, 1e-8);
    const ab = frechetDistance(fa, fb, dim);
    close(frechetDistance(fb, fa, dim), ab, 1e-8);
    // Householder reflection H = I - 2 v v^T / |v|^2 applied to every row.
    const v = rng.normal(dim);
    const vv = v.reduce((s, x) => s + x * x, 0);
    const reflect = (f: Float32Array): Float64Array => {
      const out = new Float64Array(f.length);
      for (let r = 0; r < f.length / dim; r++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += v[j] * f[r * dim + j];
        for (let j = 0; j < dim; j++) out[r * dim + j] = f[r * dim + j] - (2 * dot * v[j]) / vv;
      }
      return out;
    };
    close(frechetDistance(reflect(fa), reflect(fb), dim), ab, 1e-8 * Math.max(1, ab));
  });

  test('stays finite and ~0 for rank-deficient covariances (fewer rows than dimensions)', () => {
    const f = new Rng(4).normal(3 * 8);
    const d = frechetDistance(f, f, 8);
    assert.ok(Number.isFinite(d) && Math.abs(d) < 1e-6, `got ${d}`);
  });

  test('bad shapes or values throw InvalidArgumentError naming the input', () => {
    assert.throws(
      () => frechetDistance([1, 2, 3], A, 2),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'featuresA.length',
    );
    assert.throws(
      () => frechetDistance(A, [1, 2], 2),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'featuresB.length',
    );
    assert.throws(
      () => frechetDistance(A, B, 0),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'dim',
    );
    assert.throws(
      () => frechetDistance([1, Number.NaN, 0, 0], B, 2),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'featuresA[1]',
    );
  });
});
