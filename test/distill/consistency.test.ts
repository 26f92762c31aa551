import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import {
  compareConsistencyStudent,
  consistencyScalings,
  distillConsistencyModel,
  mixtureSigmaData,
  rangeInterval,
  sampleConsistencyStudent,
  sampleToyDdimVE,
} from '../../src/distill/consistency.js';
import { compareIntervals } from '../../src/evaluation/bootstrap.js';
import { mixtureDenoiseVE } from '../../src/toy/denoiser.js';
import { exampleMixture2d, GaussianMixture } from '../../src/toy/mixture.js';
import { consistencyMap } from '../../src/toy/pfOde.js';
import { slicedWasserstein2 } from '../../src/toy/wasserstein.js';

const throwsField = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    `expected InvalidArgumentError naming ${field}`,
  );
const mixture = exampleMixture2d();

describe('consistencyScalings', () => {
  test('match values worked by hand from Song et al. (2023, App. C)', () => {
    // sigma = 1, sigmaMin = 0, sigmaData = 0.5: c_skip = 0.25 / 1.25, c_out = 0.5 / sqrt(1.25).
    const a = consistencyScalings(1, 0, 0.5);
    assert.ok(Math.abs(a.cSkip - 0.2) < 1e-15);
    assert.ok(Math.abs(a.cOut - 0.5 / Math.sqrt(1.25)) < 1e-15);
    // sigma = 2.002, sigmaMin = 0.002, sigmaData = 1: c_skip = 1 / 5, c_out = 2 / sqrt(1 + 2.002^2).
    const b = consistencyScalings(2.002, 0.002, 1);
    assert.ok(Math.abs(b.cSkip - 0.2) < 1e-12);
    assert.ok(Math.abs(b.cOut - 2 / Math.sqrt(1 + 2.002 ** 2)) < 1e-12);
  });
  test('give f(x, sigmaMin) = x (c_skip 1, c_out 0) and refuse a bad sigmaData', () => {
    assert.deepEqual(consistencyScalings(0.002, 0.002, 0.5), { cSkip: 1, cOut: 0 });
    throwsField(() => consistencyScalings(1, 0.002, 0), 'sigmaData');
  });
});

describe('mixtureSigmaData', () => {
  test('is the root mean second moment per axis (worked by hand for one 1-D Gaussian)', () => {
    const g = new GaussianMixture({ weights: [1], means: [[0.3]], variances: [0.04] });
    assert.ok(Math.abs(mixtureSigmaData(g) - Math.sqrt(0.04 + 0.09)) < 1e-12);
  });
});

describe('sampleToyDdimVE', () => {
  test('one step is the exact denoiser at sigmaMax (DDIM collapses onto the posterior mean)', () => {
    const z = new Rng(3).normal(40);
    const oneStep = sampleToyDdimVE(mixture, z, 1);
    const d = mixtureDenoiseVE(
      mixture,
      z.map((v) => 80 * v),
      80,
    );
    for (let i = 0; i < z.length; i++) assert.ok(Math.abs(oneStep[i] - d[i]) < 1e-6, `coordinate ${i}`);
  });
  test('many steps converge to the end of the ODE path (consistencyMap, an independent Heun integrator)', () => {
    const z = new Rng(4).normal(40);
    const many = sampleToyDdimVE(mixture, z, 400);
    const exact = consistencyMap(
      mixture,
      z.map((v) => 80 * v),
      80,
      { steps: 200 },
    );
    let worst = 0;
    for (let i = 0; i < z.length; i++) worst = Math.max(worst, Math.abs(many[i] - exact[i]));
    assert.ok(worst < 0.02, `largest difference ${worst}`);
  });
});

describe('rangeInterval', () => {
  test('median with the range; coverage 1 - 2^(1 - n)', () => {
    assert.deepEqual(rangeInterval([3, 1, 2]), { value: 2, low: 1, high: 3, level: 0.75, values: [3, 1, 2] });
    const even = rangeInterval([4, 1, 2, 3, 9, 5]);
    assert.equal(even.value, 3.5);
    assert.equal(even.level, 1 - 1 / 32);
    throwsField(() => rangeInterval([1]), 'values');
    throwsField(() => rangeInterval([1, NaN]), 'values[1]');
  });
});

describe('distillConsistencyModel', () => {
  const run = distillConsistencyModel(mixture, { seed: 0, snapshots: [0, 600] });

  test('the student keeps the boundary condition f(x, sigmaMin) = x exactly', () => {
    const x = new Rng(5).normal(20);
    assert.deepEqual(run.student.predict(x, 0.002), x);
  });

  test('the CD loss of the last iterations is below that of the first (it is not monotone: the target moves)', () => {
    assert.equal(run.loss.length, 30);
    const first = run.loss[0];
    const last = run.loss.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(last < 0.8 * first, `loss ${first} -> ${last}`);
  });

  test('training moves the 1-step distance from the untrained collapse to near the 8-step DDIM level', () => {
    const truth = mixture.sample(5000, new Rng(1));
    const z = new Rng(7).normal(2000 * 2);
    const dist = (p: Float32Array) => slicedWasserstein2(p, truth, 2, { projections: 64, seed: 0 });
    const [before, after] = run.snapshots.map((s) => dist(sampleConsistencyStudent(s.student, z)));
    assert.deepEqual(
      run.snapshots.map((s) => s.iteration),
      [0, 600],
    );
    assert.ok(before > 0.4, `untrained: ${before}`);
    assert.ok(after < 0.12, `trained: ${after}`);
    // The last snapshot is the returned student.
    assert.deepEqual(run.snapshots[1].student.predict(z, 80), run.student.predict(z, 80));
  });

  test('the 1-step student beats 1-step DDIM with the exact denoiser by a wide margin, intervals apart', () => {
    const { rows, floor } = compareConsistencyStudent(mixture, run.student, { tau: null, ddimSteps: [1] });
    const student = rows.find((r) => r.method === 'consistency student' && r.steps === 1);
    const ddim = rows.find((r) => r.method.startsWith('DDIM') && r.steps === 1);
    assert.ok(student && ddim);
    assert.equal(compareIntervals(student.distance, ddim.distance, 'lower').verdict, 'first better');
    assert.ok(student.distance.high < ddim.distance.low / 4, `${student.distance.high} vs ${ddim.distance.low}`);
    assert.ok(floor.high < student.distance.low, 'the student is not at the sampling floor: the fit is not perfect');
  });

  test('is reproducible with its seed, bit for bit; another seed gives another student', () => {
    const opts = { iterations: 40, batch: 32 };
    const x = new Rng(9).normal(20);
    const a = distillConsistencyModel(mixture, { ...opts, seed: 3 });
    const b = distillConsistencyModel(mixture, { ...opts, seed: 3 });
    const c = distillConsistencyModel(mixture, { ...opts, seed: 4 });
    assert.deepEqual(a.student.predict(x, 80), b.student.predict(x, 80));
    assert.deepEqual(a.loss, b.loss);
    assert.notDeepEqual(a.student.predict(x, 80), c.student.predict(x, 80));
  });

  test('learns the affine consistency function of one 1-D Gaussian (derived in closed form)', () => {
    // For N(mu, s^2) the PF-ODE keeps the standardised position: f(x, sigma) = mu + (x - mu) sqrt((s^2 + m^2) / (s^2 + sigma^2)), m = sigmaMin.
    const mu = 0.3;
    const s2 = 0.04;
    const g = new GaussianMixture({ weights: [1], means: [[mu]], variances: [s2] });
    const r = distillConsistencyModel(g, { seed: 1, iterations: 800 });
    for (const sigma of [0.1, 0.5, 2, 10, 80]) {
      const x = Float32Array.from({ length: 41 }, (_, i) => mu + (i / 20 - 1) * 2 * Math.sqrt(s2 + sigma * sigma));
      const f = r.student.predict(x, sigma);
      const scale = Math.sqrt((s2 + 0.002 ** 2) / (s2 + sigma * sigma));
      let sq = 0;
      for (let i = 0; i < x.length; i++) sq += (f[i] - (mu + (x[i] - mu) * scale)) ** 2;
      const rmse = Math.sqrt(sq / x.length);
      assert.ok(rmse < 0.03, `sigma ${sigma}: RMSE ${rmse} against the exact f (data std 0.2)`);
    }
  });

  test("LCM's skipping-step solver: on a fine grid, k = 4 propagates consistency far faster than k = 1", () => {
    const opts = { levels: 72, iterations: 400 };
    const k1 = distillConsistencyModel(mixture, { ...opts, skip: 1 });
    const k4 = distillConsistencyModel(mixture, { ...opts, skip: 4 });
    const cmp = (st: typeof k1.student) =>
      compareConsistencyStudent(mixture, st, { tau: null, ddimSteps: [], points: 1000, seeds: [7, 8, 9] }).rows[0]
        .distance;
    const a = cmp(k4.student);
    const b = cmp(k1.student);
    assert.equal(compareIntervals(a, b, 'lower').verdict, 'first better', `k=4 ${a.value} vs k=1 ${b.value}`);
  });

  test('bad settings are refused naming the field', () => {
    throwsField(() => distillConsistencyModel(mixture, { levels: 10, skip: 10 }), 'skip');
    throwsField(() => distillConsistencyModel(mixture, { emaDecay: 1 }), 'emaDecay');
    throwsField(() => distillConsistencyModel(mixture, { iterations: 5, snapshots: [6] }), 'snapshots[0]');
    throwsField(() => distillConsistencyModel(mixture, { sigmaMin: 1, sigmaMax: 0.5 }), 'sigmaMax');
    throwsField(() => distillConsistencyModel(mixture, { grid: 100 }), 'grid');
    throwsField(() => distillConsistencyModel(null as unknown as GaussianMixture), 'mixture');
    throwsField(() => run.student.predict(new Float32Array(2), 100), 'sigma');
    throwsField(() => run.student.predict(new Float32Array(3), 1), 'x');
    throwsField(() => sampleConsistencyStudent(run.student, new Float32Array(4), [0.5, 1], new Rng(0)), 'levels[1]');
    throwsField(() => sampleConsistencyStudent(run.student, new Float32Array(4), [0.5]), 'rng');
  });
});
