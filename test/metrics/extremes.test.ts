import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import {
  frechetDistance,
  frechetDistanceDetails,
  frechetDistanceFromMoments,
  type FeatureMoments,
} from '../../src/metrics/frechet.js';
import { ssim } from '../../src/metrics/ssim.js';

const moments = (mu: number[], sigma: number[]): FeatureMoments => ({
  dim: mu.length,
  mu: Float64Array.from(mu),
  sigma: Float64Array.from(sigma),
});

describe('Frechet distance is never negative and refuses non-covariances', () => {
  test('a set against itself: the round-off total is clamped to 0 and says so', () => {
    const dim = 24;
    let negatives = 0;
    for (let seed = 0; seed < 20; seed++) {
      const g = new Rng(seed).normal(30 * dim).map((v) => 1e4 * v);
      const d = frechetDistance(g, g, dim);
      assert.ok(d >= 0, `seed ${seed}: ${d}`);
      const m = fm(g, dim);
      if (frechetDistanceDetails(m, m).raw < 0) negatives++;
    }
    assert.ok(negatives > 0, 'the sweep should meet at least one negative raw total, or it tests nothing');
  });

  test('a covariance with a negative eigenvalue throws naming it (it used to give a finite number)', () => {
    const notPsd = moments([0, 0], [1, 0, 0, -1]);
    const ok = moments([0, 0], [1, 0, 0, 1]);
    assert.throws(
      () => frechetDistanceFromMoments(notPsd, ok),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.sigma',
    );
    assert.throws(
      () => frechetDistanceFromMoments(ok, notPsd),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b.sigma',
    );
    assert.throws(
      () => frechetDistanceFromMoments(moments([0, 0], [-2, 0, 0, -2]), moments([0, 0], [-2, 0, 0, -2])),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.sigma',
    );
  });

  test('singular (PSD, rank-deficient) covariances are still accepted: diag(1, 0) vs diag(4, 0) = (2 - 1)^2 = 1', () => {
    assert.ok(
      Math.abs(frechetDistanceFromMoments(moments([0, 0], [1, 0, 0, 0]), moments([0, 0], [4, 0, 0, 0])) - 1) < 1e-12,
    );
  });
});

/** Mean and covariance of n x dim features, computed here independently (two passes). */
function fm(f: ArrayLike<number>, dim: number): FeatureMoments {
  const n = f.length / dim;
  const mu = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) mu[j] += f[r * dim + j] / n;
  const sigma = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++)
        sigma[i * dim + j] += ((f[r * dim + i] - mu[i]) * (f[r * dim + j] - mu[j])) / (n - 1);
  return { dim, mu, sigma };
}

describe('SSIM at extreme value ranges', () => {
  const pattern = (scale: number) => Float64Array.from({ length: 16 * 16 }, (_, i) => (scale * ((i * 37) % 11)) / 10);

  for (const scale of [1e-200, 1e-30, 1, 1e30, 1e200]) {
    test(`identical images with pixels up to ${scale} and dataRange ${scale} give exactly 1`, () => {
      const x = pattern(scale);
      assert.equal(ssim(x, x, { width: 16, height: 16, channels: 1, dataRange: scale }), 1);
    });
  }

  test('identical images whose pixels exceed dataRange by far (1e200 with dataRange 1) give 1, not NaN', () => {
    const x = pattern(1e200);
    assert.equal(ssim(x, x, { width: 16, height: 16, channels: 1 }), 1);
  });

  test('SSIM is unchanged when pixels and dataRange scale together (scale invariance of Wang et al. eq. 13)', () => {
    const a = pattern(1);
    const b = a.map((v, i) => v + 0.05 * Math.sin(i));
    const ref = ssim(a, b, { width: 16, height: 16, channels: 1, dataRange: 1 });
    for (const s of [1e-200, 1e200]) {
      const got = ssim(
        a.map((v) => v * s),
        b.map((v) => v * s),
        { width: 16, height: 16, channels: 1, dataRange: s },
      );
      assert.ok(Math.abs(got - ref) < 1e-12, `scale ${s}: ${got} vs ${ref}`);
    }
  });
});
