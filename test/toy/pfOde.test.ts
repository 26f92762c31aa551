import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { GaussianMixture, exampleMixture1d, exampleMixture2d } from '../../src/toy/mixture.js';
import { consistencyMap, pfOdeSigmaGrid, pfOdeTrajectory } from '../../src/toy/pfOde.js';
import { slicedWasserstein2 } from '../../src/toy/wasserstein.js';

const isErr = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('pfOdeSigmaGrid', () => {
  test('is the Karras et al. 2022 eq. 5 grid: endpoints exact, decreasing, denser at small sigma', () => {
    const g = pfOdeSigmaGrid(80, 0.002, 18, 7);
    assert.equal(g.length, 19);
    assert.equal(g[0], 80);
    assert.equal(g[18], 0.002);
    // eq. 5 at i = 9 of N = 18 (ramp 1/2), worked by hand: ((80^(1/7) + 0.002^(1/7)) / 2)^7
    assert.ok(Math.abs(g[9] - ((80 ** (1 / 7) + 0.002 ** (1 / 7)) / 2) ** 7) < 1e-12);
    for (let i = 1; i < g.length; i++) assert.ok(g[i] < g[i - 1]);
    assert.ok(g[17] - g[18] < g[0] - g[1]);
  });

  test('rejects sigmaMin <= 0, sigmaMax <= sigmaMin and a non-integer step count', () => {
    assert.throws(() => pfOdeSigmaGrid(80, 0, 10), isErr('sigmaMin'));
    assert.throws(() => pfOdeSigmaGrid(1, 2, 10), isErr('sigmaMax'));
    assert.throws(() => pfOdeSigmaGrid(80, 0.002, 2.5), isErr('steps'));
    assert.throws(() => pfOdeSigmaGrid(80, 0.002, 10, 0), isErr('rho'));
  });
});

describe('pfOdeTrajectory', () => {
  // For one Gaussian N(mu, s^2) per axis the PF-ODE dx/dsigma = (x - D)/sigma with
  // D = mu + s^2/(s^2 + sigma^2)(x - mu) has the closed-form solution
  // x(sigma) - mu = (x_T - mu) sqrt(s^2 + sigma^2) / sqrt(s^2 + sigmaMax^2)  (solved by hand: d/dsigma log|x - mu| = sigma / (s^2 + sigma^2)).
  const g = new GaussianMixture({ weights: [1], means: [[0.3, -0.2]], variances: [[0.04, 0.25]] });
  const xT = new Float32Array([40, -30, -70, 12, 0.3, 5]);
  const exactEnd = (sigma: number, sigmaMax: number) =>
    Array.from(xT, (v, i) => {
      const j = i % 2;
      const mu = [0.3, -0.2][j];
      const s2 = [0.04, 0.25][j];
      return mu + ((v - mu) * Math.sqrt(s2 + sigma * sigma)) / Math.sqrt(s2 + sigmaMax * sigmaMax);
    });

  test('follows the closed-form path of a single Gaussian, at every grid point', () => {
    const tr = pfOdeTrajectory(g, xT, { sigmaMax: 80, sigmaMin: 0.002, steps: 128 });
    assert.equal(tr.points.length, 129);
    assert.equal(tr.sigmas.length, 129);
    for (let i = 0; i < tr.points.length; i += 16) {
      const exact = exactEnd(tr.sigmas[i], 80);
      tr.points[i].forEach((v, k) => assert.ok(Math.abs(v - exact[k]) < 5e-4, `step ${i}: ${v} vs ${exact[k]}`));
    }
  });

  test('is second order: doubling the Heun steps cuts the end-point error about four times', () => {
    const err = (steps: number) => {
      const end = pfOdeTrajectory(g, xT, { sigmaMax: 80, sigmaMin: 0.002, steps }).points[steps];
      const exact = exactEnd(0.002, 80);
      return Math.max(...Array.from(end, (v, k) => Math.abs(v - exact[k])));
    };
    const e16 = err(16);
    const e32 = err(32);
    assert.ok(e16 / e32 > 3 && e16 / e32 < 5.5, `ratio ${e16 / e32}`);
  });

  test('carries the noisy marginal p_sigma onto the data distribution (Song et al. 2021: the PF-ODE keeps the marginals)', () => {
    const m = exampleMixture2d();
    const n = 1500;
    const x0 = m.sample(n, new Rng(1));
    const eps = new Rng(2).normal(n * 2);
    const sigmaMax = 2;
    const xT = x0.map((v, i) => v + sigmaMax * eps[i]);
    const end = pfOdeTrajectory(m, xT, { sigmaMax, sigmaMin: 0.002, steps: 96 }).points[96];
    const fresh = m.sample(n, new Rng(3));
    const reference = slicedWasserstein2(m.sample(n, new Rng(4)), fresh, 2, { seed: 1 });
    const got = slicedWasserstein2(end, fresh, 2, { seed: 1 });
    const noisy = slicedWasserstein2(xT, fresh, 2, { seed: 1 });
    // as close to the data as an independent true sample of the same size (2x slack), far closer than the start
    assert.ok(got < 2 * reference, `SW2 ${got} vs reference ${reference}`);
    assert.ok(noisy > 10 * got);
  });

  test('rejects a start array whose length is not a multiple of d', () => {
    assert.throws(
      () => pfOdeTrajectory(exampleMixture2d(), new Float32Array(3), { sigmaMax: 1, sigmaMin: 0.1, steps: 2 }),
      isErr('xT.length'),
    );
  });
});

describe('consistencyMap', () => {
  const m = exampleMixture2d();
  const n = 200;
  const start = new Rng(9).normal(n * 2).map((v) => v * 80);
  const trajectory = pfOdeTrajectory(m, start, { sigmaMax: 80, sigmaMin: 0.002, steps: 512 });
  const endpoint = trajectory.points[512];

  test('maps every noise level along one trajectory to the same end point (self-consistency)', () => {
    // points of the path at sigma = 80, ~20, ~3, ~0.5, ~0.05
    for (const i of [0, 64, 160, 256, 384]) {
      const sigma = trajectory.sigmas[i];
      const f = consistencyMap(m, trajectory.points[i], sigma, { steps: 128 });
      let maxErr = 0;
      for (let k = 0; k < f.length; k++) maxErr = Math.max(maxErr, Math.abs(f[k] - endpoint[k]));
      assert.ok(maxErr < 3e-3, `sigma ${sigma.toFixed(3)}: max |f - end| = ${maxErr}`);
    }
  });

  test('is not trivial: different trajectories end at different points spread over the modes', () => {
    let minPairGap = Infinity;
    for (let p = 1; p < 20; p++)
      minPairGap = Math.min(minPairGap, Math.hypot(endpoint[p * 2] - endpoint[0], endpoint[p * 2 + 1] - endpoint[1]));
    assert.ok(minPairGap > 1e-3);
    const quadrants = new Set<string>();
    for (let p = 0; p < n; p++) quadrants.add(`${Math.sign(endpoint[p * 2])},${Math.sign(endpoint[p * 2 + 1])}`);
    assert.equal(quadrants.size, 4);
  });

  test('meets the boundary condition f(x, sigmaMin) = x', () => {
    const x = new Float32Array([0.1, 0.2, -3, 4]);
    assert.deepEqual(consistencyMap(m, x, 0.002), x);
    assert.deepEqual(consistencyMap(m, x, 0.5, { sigmaMin: 0.5 }), x);
  });

  test('in 1-D it is monotone (the PF-ODE map of a line cannot cross itself)', () => {
    const m1 = exampleMixture1d();
    const xs = Float64Array.from({ length: 400 }, (_, i) => -40 + (80 * i) / 399);
    const f = consistencyMap(m1, xs, 20);
    for (let i = 1; i < f.length; i++) assert.ok(f[i] >= f[i - 1], `not monotone at ${i}`);
  });

  test('rejects a negative sigma and a zero sigmaMin', () => {
    assert.throws(() => consistencyMap(m, new Float32Array(2), -1), isErr('sigma'));
    assert.throws(() => consistencyMap(m, new Float32Array(2), 1, { sigmaMin: 0 }), isErr('sigmaMin'));
    assert.throws(() => consistencyMap(m, new Float32Array(2), 1, { steps: 0 }), isErr('steps'));
  });
});
