import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { mixtureDenoiseVE, mixtureDenoiseVP, mixtureResponsibilities, mixtureScoreVE } from '../../src/toy/denoiser.js';
import { GaussianMixture, exampleMixture1d, exampleMixture2d } from '../../src/toy/mixture.js';

/**
 * Independent Monte Carlo estimate of E[x0 | x] by self-normalised importance sampling from the prior:
 * draw x0_i ~ p_data, weight w_i = N(x; a x0_i, b^2 I) (a = 1, b = sigma for VE; a = sqrt(abar),
 * b = sqrt(1 - abar) for VP), return sum w_i x0_i / sum w_i and a standard error from the effective sample size.
 */
function posteriorMeanMonteCarlo(
  m: GaussianMixture,
  x: number[],
  a: number,
  b: number,
  prior: Float32Array,
): { mean: number[]; se: number[] } {
  const d = m.dim;
  const n = prior.length / d;
  const logw = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    for (let j = 0; j < d; j++) r2 += (x[j] - a * prior[i * d + j]) ** 2;
    logw[i] = -r2 / (2 * b * b);
    if (logw[i] > max) max = logw[i];
  }
  let sw = 0;
  let sw2 = 0;
  const mean = new Array(d).fill(0);
  for (let i = 0; i < n; i++) {
    const w = Math.exp(logw[i] - max);
    sw += w;
    sw2 += w * w;
    for (let j = 0; j < d; j++) mean[j] += w * prior[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= sw;
  const ess = (sw * sw) / sw2;
  assert.ok(ess > 200, `Monte Carlo reference too thin at x = ${x} (effective sample size ${ess.toFixed(0)})`);
  const se = mean.map((mu, j) => {
    let v = 0;
    for (let i = 0; i < n; i++) v += Math.exp(logw[i] - max) * (prior[i * d + j] - mu) ** 2;
    return Math.sqrt(v / sw / ess);
  });
  return { mean, se };
}

describe('exact mixture denoiser', () => {
  const m2 = exampleMixture2d();
  const prior2 = m2.sample(300000, new Rng(21));

  test('mixtureDenoiseVE matches a Monte Carlo posterior mean (importance sampling from the prior) within 5 standard errors', () => {
    // Points in the data's support for the small sigma (elsewhere the posterior lives in the prior's far
    // tails and importance sampling from the prior has too few effective samples); anywhere for larger sigma.
    for (const [sigma, points] of [
      [
        0.05,
        [
          [0.45, 0.5],
          [-0.55, -0.4],
          [-0.3, 0.55],
          [0.6, -0.45],
        ],
      ],
      [
        0.3,
        [
          [0, 0],
          [0.4, 0.3],
          [-0.9, 0.1],
          [0.2, -0.6],
        ],
      ],
      [
        1,
        [
          [0, 0],
          [1.4, 0.3],
          [-0.9, 0.1],
          [0.2, -1.6],
        ],
      ],
    ] as const) {
      const got = mixtureDenoiseVE(m2, Float32Array.from(points.flat()), sigma);
      points.forEach((x, p) => {
        const mc = posteriorMeanMonteCarlo(m2, [...x], 1, sigma, prior2);
        for (let j = 0; j < 2; j++) {
          const tol = 5 * mc.se[j] + 1e-6;
          assert.ok(
            Math.abs(got[p * 2 + j] - mc.mean[j]) < tol,
            `sigma ${sigma} x ${x}: ${got[p * 2 + j]} vs MC ${mc.mean[j]} +- ${mc.se[j]}`,
          );
        }
      });
    }
  });

  test('mixtureDenoiseVP matches a Monte Carlo posterior mean under x_t = sqrt(abar) x0 + sqrt(1 - abar) eps', () => {
    const points = [
      [0.1, -0.2],
      [0.5, 0.45],
      [-0.3, 0.4],
    ];
    for (const alphaBar of [0.9, 0.3, 0.02]) {
      const got = mixtureDenoiseVP(m2, Float32Array.from(points.flat()), alphaBar);
      points.forEach((x, p) => {
        const mc = posteriorMeanMonteCarlo(m2, x, Math.sqrt(alphaBar), Math.sqrt(1 - alphaBar), prior2);
        for (let j = 0; j < 2; j++) {
          assert.ok(
            Math.abs(got[p * 2 + j] - mc.mean[j]) < 5 * mc.se[j] + 1e-6,
            `abar ${alphaBar}: ${got[p * 2 + j]} vs MC ${mc.mean[j]}`,
          );
        }
      });
    }
  });

  test('one Gaussian component gives the Wiener-filter shrinkage mu + s^2 / (s^2 + sigma^2) (x - mu) per axis', () => {
    const g = new GaussianMixture({ weights: [1], means: [[1, -2]], variances: [[0.5, 2]] });
    const x = new Float64Array([3, 0]);
    const got = mixtureDenoiseVE(g, x, 1);
    assert.ok(Math.abs(got[0] - (1 + (0.5 / 1.5) * 2)) < 1e-6);
    assert.ok(Math.abs(got[1] - (-2 + (2 / 3) * 2)) < 1e-6);
  });

  test('the limits: sigma = 0 returns x, sigma = Infinity and abar = 0 return the mixture mean, abar = 1 returns x_t', () => {
    const x = new Float32Array([0.7, -0.1, 3, 2]);
    assert.deepEqual(mixtureDenoiseVE(m2, x, 0), x);
    assert.deepEqual(mixtureDenoiseVP(m2, x, 1), x);
    const mean = m2.mean();
    for (const out of [mixtureDenoiseVE(m2, x, Infinity), mixtureDenoiseVP(m2, x, 0)]) {
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(out[i] - mean[i % 2]) < 1e-6);
    }
  });

  test('Tweedie: (D(x, sigma) - x) / sigma^2 equals the finite-difference gradient of log p_sigma', () => {
    const m1 = exampleMixture1d();
    for (const [m, x] of [
      [m2, [0.1, 0.35]],
      [m2, [-0.7, -0.2]],
      [m1, [0.35]],
      [m1, [-1.2]],
    ] as const) {
      for (const sigma of [0.1, 0.5, 2]) {
        const score = mixtureScoreVE(m, Float64Array.from(x), sigma);
        for (let j = 0; j < x.length; j++) {
          const h = 1e-5;
          const plus = Float64Array.from(x);
          const minus = Float64Array.from(x);
          plus[j] += h;
          minus[j] -= h;
          const fd = (m.logDensity(plus, sigma)[0] - m.logDensity(minus, sigma)[0]) / (2 * h);
          assert.ok(
            Math.abs(score[j] - fd) < 1e-5 * Math.max(1, Math.abs(fd)),
            `sigma ${sigma} x ${x} axis ${j}: ${score[j]} vs ${fd}`,
          );
        }
      }
    }
  });

  test('responsibilities sum to 1 per point and tend to the weights as sigma grows', () => {
    const x = new Float32Array([0.5, 0.5, -3, 4]);
    const r = mixtureResponsibilities(m2, x, 0.2);
    for (let p = 0; p < 2; p++) assert.ok(Math.abs(r.slice(p * 4, p * 4 + 4).reduce((s, v) => s + v, 0) - 1) < 1e-12);
    assert.ok(r[1] > 0.99, 'a point on mode 1 belongs to mode 1');
    const far = mixtureResponsibilities(m2, x, 1e4);
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(far[k] - m2.weights[k]) < 1e-4);
  });

  test('a point far out in the tails does not underflow to NaN', () => {
    const out = mixtureDenoiseVE(m2, new Float32Array([1e3, -1e3]), 0.01);
    assert.ok(Number.isFinite(out[0]) && Number.isFinite(out[1]));
  });

  test('bad inputs throw InvalidArgumentError naming sigma, alphaBar or the array', () => {
    const x = new Float32Array(2);
    const isErr = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
    assert.throws(() => mixtureDenoiseVE(m2, x, -0.1), isErr('sigma'));
    assert.throws(() => mixtureDenoiseVE(m2, x, NaN), isErr('sigma'));
    assert.throws(() => mixtureDenoiseVP(m2, x, 1.5), isErr('alphaBar'));
    assert.throws(() => mixtureScoreVE(m2, x, 0), isErr('sigma'));
    assert.throws(() => mixtureDenoiseVE(m2, new Float32Array(3), 1), isErr('x.length'));
    assert.throws(() => mixtureDenoiseVE(m2, [1, 2] as unknown as Float32Array, 1), isErr('x'));
  });
});
