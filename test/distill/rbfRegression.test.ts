import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { fitRbfRegression } from '../../src/distill/rbfRegression.js';

describe('fitRbfRegression', () => {
  test('with grid 0 it is ordinary least squares: y = 1, 3, 2, 5 at x = 0..3 gives slope 1.1 and intercept 1.1 (worked by hand)', () => {
    // Sxy = 5.5, Sxx = 5 -> slope 1.1; intercept 2.75 - 1.1 * 1.5 = 1.1.
    const fit = fitRbfRegression([0, 1, 2, 3], [1, 3, 2, 5], 1, 1, { grid: 0 });
    const [at0, at4] = fit.predict([0, 4]);
    assert.ok(Math.abs(at0 - 1.1) < 1e-6, `f(0) = ${at0}`);
    assert.ok(Math.abs(at4 - 5.5) < 1e-6, `f(4) = ${at4}`);
    assert.equal(fit.featureCount, 2);
  });

  test('recovers an exactly affine map in 2-D, with or without RBF features', () => {
    const rng = new Rng(3);
    const x = rng.normal(400 * 2);
    const map = (p: ArrayLike<number>) =>
      Float32Array.from({ length: p.length }, (_, k) =>
        k % 2 === 0 ? 0.7 * p[k] - 0.2 * p[k + 1] + 0.3 : 0.1 * p[k - 1] + 1.5 * p[k] - 0.4,
      );
    const y = map(x);
    const test = new Rng(4).normal(50 * 2);
    for (const grid of [0, 6]) {
      const fit = fitRbfRegression(x, y, 2, 2, { grid, ridge: 1e-6 });
      const got = fit.predict(test);
      const want = map(test);
      const worst = Math.max(...Array.from(got, (v, k) => Math.abs(v - want[k])));
      assert.ok(worst < 1e-3, `grid ${grid}: largest error ${worst}`);
      assert.ok(fit.trainRmse < 1e-4, `grid ${grid}: train RMSE ${fit.trainRmse}`);
    }
  });

  test('fits a nonlinear map far better with RBF features than an affine model can', () => {
    const rng = new Rng(5);
    const x = rng.normal(1000);
    const y = x.map((v) => Math.sin(2 * v));
    const affine = fitRbfRegression(x, y, 1, 1, { grid: 0 });
    const rbf = fitRbfRegression(x, y, 1, 1, { grid: 12 });
    assert.ok(rbf.trainRmse < affine.trainRmse / 5, `RBF ${rbf.trainRmse} vs affine ${affine.trainRmse}`);
  });

  test('is a pure function of its data: the same inputs give the same weights', () => {
    const x = new Rng(6).normal(200);
    const y = Float32Array.from({ length: 100 }, (_, i) => x[2 * i] * x[2 * i + 1]);
    assert.deepEqual(fitRbfRegression(x, y, 2, 1).weights, fitRbfRegression(x, y, 2, 1).weights);
  });

  test('bad inputs throw InvalidArgumentError naming the field', () => {
    const bad: [() => unknown, string][] = [
      [() => fitRbfRegression([0, 1], [1, 2, 3], 1, 1), 'y.length'],
      [() => fitRbfRegression([0, 1, 2], [1, 2], 2, 1), 'x.length'],
      [() => fitRbfRegression([0, NaN], [1, 2], 1, 1), 'x[1]'],
      [() => fitRbfRegression([], [], 1, 1), 'x'],
      [() => fitRbfRegression([0, 1], [1, 2], 0, 1), 'dimIn'],
      [() => fitRbfRegression([0, 1], [1, 2], 1, 1, { ridge: -1 }), 'ridge'],
      [() => fitRbfRegression([0, 1, 2, 3], [1, 2], 2, 1, { grid: 65 }), 'grid'],
      [() => fitRbfRegression([0, 1, 2, 3, 4, 5], [1, 2], 3, 1, { grid: 20 }), 'grid'],
      [() => fitRbfRegression([0, 1], [1, 2], 1, 1).predict([Infinity]), 'x[0]'],
    ];
    for (const [fn, field] of bad) {
      assert.throws(
        fn,
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        `expected a throw naming ${field}`,
      );
    }
  });
});
